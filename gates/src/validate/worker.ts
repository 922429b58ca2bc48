/**
 * Worker-thread entry of the validator: analyses the batches it is sent with one analyzer (one
 * markdownlint setup, one token encoder) and frees the encoder when told to close.
 */
import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";
import { InternalError, messageOf } from "../errors.js";
import { createFileAnalyzer } from "./analyze.js";
import { ValidateConfig } from "./config.js";
import { WorkerRequest, type WorkerResponse } from "./worker-protocol.js";

const port = parentPort;
if (port === null) throw new InternalError("worker.ts runs only as a worker thread");

const { config } = z.object({ config: ValidateConfig }).strict().parse(workerData);
const analyzer = createFileAnalyzer(config);
let queue = Promise.resolve();

port.on("message", (message: unknown) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: unknown): Promise<void> {
  const send = (response: WorkerResponse) => port?.postMessage(response);
  try {
    const request = WorkerRequest.parse(message);
    if (request.type === "close") {
      analyzer.dispose();
      port?.close();
      return;
    }
    send({ type: "facts", id: request.id, facts: await analyzer.analyze(request.files) });
  } catch (error) {
    send({
      type: "error",
      message: messageOf(error),
      ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}),
    });
  }
}
