import { createServer } from "node:http";

/** A real HTTP receiver on loopback for the notices a deploy sends to its webhooks. */
export interface WebhookReceiver<Notice> {
  /** The URL to pass as a webhook. */
  url: string;
  /** Every notice received, parsed, in order of arrival. */
  notices: Notice[];
  stop(): Promise<void>;
}

/** Listens on a free loopback port and answers every POST with 204, as a chat webhook would. */
export async function startWebhookReceiver<Notice = unknown>(): Promise<WebhookReceiver<Notice>> {
  const notices: Notice[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      notices.push(JSON.parse(text) as Notice);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/notify`,
    notices,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
