/**
 * Worker-thread entry of loadBaselineInBackground: loads the baseline named in workerData and
 * answers with its fingerprints, or with the BASELINE_INVALID problem that loading it raised.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ConfigError, InternalError } from "../errors.js";
import { BaselineRequest, type BaselineResponse } from "./baseline-protocol.js";
import { loadBaseline } from "./load-files.js";

const port = parentPort;
if (port === null) throw new InternalError("baseline-worker.ts runs only as a worker thread");

const { file, root } = BaselineRequest.parse(workerData);
let response: BaselineResponse;
try {
  response = { fingerprints: [...loadBaseline(file, root)] };
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  response = { problem: { message: error.message, file: error.file, fix: error.fix } };
}
port.postMessage(response);
