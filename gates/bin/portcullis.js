#!/usr/bin/env node
// Built by `npm run build` (run on `npm ci` through the root `prepare` script).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv);
