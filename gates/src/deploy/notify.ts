import { request, type Dispatcher } from "undici";
import type { Notice, NoticeSeverity } from "./actions.js";
import { messageOf } from "../errors.js";

/**
 * Webhook notifications: generic JSON (`portcullis.notice/v1`) and Slack-compatible (`text`).
 * `send` never waits and never throws: delivery runs in the background with a timeout per
 * attempt and bounded retries, so a slow or dead webhook can never delay a rollback. `flush`
 * gives pending deliveries a bounded time before the process exits.
 */
export interface Notifier {
  send(notice: Notice): void;
  flush(maxMs: number): Promise<void>;
}

export interface Webhook {
  url: string;
  format: "json" | "slack";
}

export interface NotifierOptions {
  webhooks: readonly Webhook[];
  timeoutMs: number;
  retries: number;
  dispatcher?: Dispatcher | undefined;
  /** Told about a delivery that failed for good (the URL is never included: it is often a secret). */
  onFailure: (message: string) => void;
}

export const NOTICE_SCHEMA_ID = "portcullis.notice/v1";

export function createNotifier(options: NotifierOptions): Notifier {
  const pending = new Set<Promise<void>>();
  return {
    send(notice) {
      for (const hook of options.webhooks) {
        const delivery: Promise<void> = deliver(hook, notice, options).finally(() => pending.delete(delivery));
        pending.add(delivery);
      }
    },
    async flush(maxMs) {
      if (pending.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxMs);
      });
      await Promise.race([Promise.allSettled([...pending]).then(() => undefined), timeout]);
      clearTimeout(timer);
    },
  };
}

/** The generic JSON body. */
export function jsonPayload(notice: Notice): Record<string, unknown> {
  return { schema: NOTICE_SCHEMA_ID, ...notice };
}

const ICONS: Readonly<Record<NoticeSeverity, string>> = {
  critical: ":rotating_light:",
  high: ":warning:",
  medium: ":hourglass:",
  info: ":information_source:",
};

/** The Slack-compatible body: one `text` line, severity first. */
export function slackPayload(notice: Notice): { text: string } {
  const release = notice.release === null ? "" : ` ${notice.release}`;
  return { text: `${ICONS[notice.severity]} [${notice.severity}] ${notice.environment}${release}: ${notice.message}` };
}

// --- internal ---

async function deliver(hook: Webhook, notice: Notice, options: NotifierOptions): Promise<void> {
  const body = JSON.stringify(hook.format === "slack" ? slackPayload(notice) : jsonPayload(notice));
  let last = "";
  for (let attempt = 0; attempt <= options.retries; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    try {
      const response = await request(hook.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
      await response.body.dump();
      if (response.statusCode < 300) return;
      last = `HTTP ${response.statusCode}`;
      // A 4xx other than 429 will not get better by retrying.
      if (response.statusCode < 500 && response.statusCode !== 429) break;
    } catch (error) {
      last = messageOf(error);
    }
  }
  options.onFailure(`${hook.format} webhook to ${safeHost(hook.url)} failed for ${notice.event}: ${last}`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
}
