// The CLI as a separate process for the tests that kill it: same main() as the bin.
import { main } from "../../../src/cli/main.js";
import { processIo } from "../../../src/cli/io.js";

const io = { ...processIo(), cwd: process.env["PORTCULLIS_TEST_CWD"] ?? process.cwd() };
process.exitCode = await main(process.argv, io);
