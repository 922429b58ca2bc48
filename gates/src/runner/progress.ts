import { oneLine } from "../findings/one-line.js";

/**
 * Progress display for the host runner. On a terminal: one live line per stage with a spinner,
 * redrawn in place. Elsewhere (pipes, CI logs): one plain timestamped line per event, nothing
 * redrawn. Rendering is pure (renderStageLine); the classes only decide when to write.
 */

export type StageStatus = "pending" | "running" | "ok" | "findings" | "failed" | "skipped";

export interface StageProgress {
  id: string;
  status: StageStatus;
  /** Short text after the status: `exit 1: findings`, `gitleaks not found on PATH`. */
  detail?: string | undefined;
  startedAt?: number | undefined;
  endedAt?: number | undefined;
}

/** What the runner tells the display. */
export interface ProgressSink {
  start(id: string): void;
  finish(id: string, status: Exclude<StageStatus, "pending" | "running">, detail?: string): void;
  /** A line of the stage's own output worth showing (the tail of a crashed tool's log). */
  note(id: string, text: string): void;
  /** Stops any timer and leaves the final state on screen. */
  close(): void;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const;
const SYMBOL: Readonly<Record<StageStatus, string>> = {
  pending: "·",
  running: "",
  ok: "✔",
  findings: "▲",
  failed: "✖",
  skipped: "○",
};
const COLOUR: Readonly<Record<StageStatus, string>> = {
  pending: "2",
  running: "36",
  ok: "32",
  findings: "33",
  failed: "31",
  skipped: "33",
};

/** One stage as a line: `⠙ trivy      running 3.2s`. */
export function renderStageLine(
  stage: StageProgress,
  options: { frame: number; now: number; color: boolean; width: number },
): string {
  const symbol = stage.status === "running" ? (SPINNER[options.frame % SPINNER.length] ?? "") : SYMBOL[stage.status];
  const painted = options.color ? `\u001b[${COLOUR[stage.status]}m${symbol}\u001b[0m` : symbol;
  const elapsed = elapsedOf(stage, options.now);
  const words = [stage.id.padEnd(options.width), stage.status, elapsed, stage.detail].filter(
    (word): word is string => word !== undefined && word !== "",
  );
  return `${painted} ${words.join(" ")}`;
}

/** A plain log line for pipes and CI: `[12:03:04] trivy started`. */
export function renderPlainEvent(stage: StageProgress, at: Date): string {
  const time = at.toISOString().slice(11, 19);
  if (stage.status === "running") return `[${time}] ${stage.id} started`;
  const elapsed = elapsedOf(stage, at.getTime());
  const tail = [elapsed === undefined ? undefined : `in ${elapsed}`, stage.detail].filter(Boolean).join(": ");
  return `[${time}] ${stage.id} ${stage.status}${tail === "" ? "" : ` ${tail}`}`;
}

/** Timestamped lines, one per start and finish. */
export class PlainProgress implements ProgressSink {
  private readonly stages = new Map<string, StageProgress>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(id: string): void {
    const stage: StageProgress = { id, status: "running", startedAt: this.clock().getTime() };
    this.stages.set(id, stage);
    this.write(`${renderPlainEvent(stage, this.clock())}\n`);
  }

  finish(id: string, status: Exclude<StageStatus, "pending" | "running">, detail?: string): void {
    const now = this.clock();
    const stage: StageProgress = { ...this.stages.get(id), id, status, detail, endedAt: now.getTime() };
    this.stages.set(id, stage);
    this.write(`${renderPlainEvent(stage, now)}\n`);
  }

  note(id: string, text: string): void {
    this.write(`${noteLine(id, text)}\n`);
  }

  close(): void {}
}

/** A live block of lines, one per stage, redrawn in place every `intervalMs`. */
export class TtyProgress implements ProgressSink {
  private readonly stages: StageProgress[];
  private readonly width: number;
  private frame = 0;
  private drawn = 0;
  private notes: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    ids: readonly string[],
    private readonly write: (text: string) => void,
    private readonly options: { color: boolean; intervalMs?: number; clock?: () => number },
  ) {
    this.stages = ids.map((id) => ({ id, status: "pending" }));
    this.width = Math.max(0, ...ids.map((id) => id.length));
    this.draw();
    this.timer = setInterval(() => {
      this.frame += 1;
      this.draw();
    }, options.intervalMs ?? 100);
    this.timer.unref();
  }

  start(id: string): void {
    this.update(id, { status: "running", startedAt: this.now() });
  }

  finish(id: string, status: Exclude<StageStatus, "pending" | "running">, detail?: string): void {
    this.update(id, { status, detail, endedAt: this.now() });
  }

  /** Kept until close(): printing inside the live block would tear it. */
  note(id: string, text: string): void {
    this.notes.push(noteLine(id, text));
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.notes.length > 0) this.write(`${this.notes.join("\n")}\n`);
    this.notes = [];
  }

  private update(id: string, change: Partial<StageProgress>): void {
    const index = this.stages.findIndex((stage) => stage.id === id);
    const current = this.stages[index];
    if (current === undefined) return;
    this.stages[index] = { ...current, ...change };
    this.draw();
  }

  private draw(): void {
    const now = this.now();
    const lines = this.stages.map(
      (stage) =>
        `\u001b[2K${renderStageLine(stage, { frame: this.frame, now, color: this.options.color, width: this.width })}\n`,
    );
    // Move back to the top of the block (ESC[nA) and rewrite every line in place.
    this.write(`${this.drawn > 0 ? `\u001b[${this.drawn}A` : ""}${lines.join("")}`);
    this.drawn = lines.length;
  }

  private now(): number {
    return this.options.clock?.() ?? Date.now();
  }
}

// --- internal ---

/** A tool's own output line, control characters removed so it cannot drive the terminal. */
function noteLine(id: string, text: string): string {
  return `  ${id} | ${oneLine(text)}`;
}

function elapsedOf(stage: StageProgress, now: number): string | undefined {
  if (stage.startedAt === undefined) return undefined;
  const ms = (stage.endedAt ?? now) - stage.startedAt;
  return ms < 1_000 ? `${Math.round(ms)}ms` : `${(ms / 1_000).toFixed(1)}s`;
}
