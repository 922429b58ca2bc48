import { afterEach, describe, expect, it, vi } from "vitest";
import { PlainProgress, renderPlainEvent, renderStageLine, TtyProgress } from "../../src/runner/progress.js";

describe("renderStageLine", () => {
  it.each([
    [{ id: "trivy", status: "pending" as const }, "· trivy    pending"],
    [{ id: "trivy", status: "running" as const, startedAt: 0 }, "⠙ trivy    running 2.5s"],
    [{ id: "k6", status: "skipped" as const, detail: "no --target" }, "○ k6       skipped no --target"],
    [
      { id: "gitleaks", status: "findings" as const, startedAt: 0, endedAt: 900, detail: "exit 1" },
      "▲ gitleaks findings 900ms exit 1",
    ],
    [{ id: "semgrep", status: "failed" as const, startedAt: 0, endedAt: 1200 }, "✖ semgrep  failed 1.2s"],
  ])("%j", (stage, expected) => {
    expect(renderStageLine(stage, { frame: 1, now: 2_500, color: false, width: 8 })).toBe(expected);
  });

  it("colours only the symbol, and only when asked", () => {
    const line = renderStageLine({ id: "ok", status: "ok" }, { frame: 0, now: 0, color: true, width: 2 });
    expect(line).toBe("\u001b[32m✔\u001b[0m ok ok");
  });
});

describe("renderPlainEvent", () => {
  const at = new Date("2025-01-02T03:04:05.000Z");
  it.each([
    [{ id: "trivy", status: "running" as const }, "[03:04:05] trivy started"],
    [{ id: "trivy", status: "ok" as const, startedAt: at.getTime() - 3_000 }, "[03:04:05] trivy ok in 3.0s"],
    [{ id: "k6", status: "skipped" as const, detail: "no --target" }, "[03:04:05] k6 skipped no --target"],
    [
      { id: "gitleaks", status: "failed" as const, startedAt: at.getTime() - 10, detail: "exit 2" },
      "[03:04:05] gitleaks failed in 10ms: exit 2",
    ],
  ])("%j", (stage, expected) => {
    expect(renderPlainEvent(stage, at)).toBe(expected);
  });
});

describe("PlainProgress", () => {
  it("writes one timestamped line per event, no escape codes", () => {
    const out: string[] = [];
    let now = Date.parse("2025-01-02T03:04:05.000Z");
    const progress = new PlainProgress(
      (text) => out.push(text),
      () => new Date(now),
    );
    progress.start("trivy");
    now += 1_500;
    progress.finish("trivy", "findings", "exit 1: findings");
    progress.close();
    expect(out).toEqual(["[03:04:05] trivy started\n", "[03:04:06] trivy findings in 1.5s: exit 1: findings\n"]);
  });
});

describe("TtyProgress", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("redraws the block in place and animates running stages", () => {
    vi.useFakeTimers();
    const out: string[] = [];
    let now = 0;
    const progress = new TtyProgress(["a", "bb"], (text) => out.push(text), {
      color: false,
      intervalMs: 100,
      clock: () => now,
    });
    expect(out).toEqual(["\u001b[2K· a  pending\n\u001b[2K· bb pending\n"]);
    progress.start("a");
    now = 100;
    vi.advanceTimersByTime(100);
    progress.finish("a", "ok");
    progress.close();
    const frames = out.slice(1);
    for (const frame of frames) expect(frame.startsWith("\u001b[2A")).toBe(true);
    expect(frames[0]).toContain("⠋ a  running");
    expect(frames[1]).toContain("⠙ a  running 100ms");
    expect(frames.at(-1)).toBe("\u001b[2A\u001b[2K✔ a  ok 100ms\n\u001b[2K· bb pending\n");
    const drawn = out.length;
    vi.advanceTimersByTime(1_000);
    expect(out.length).toBe(drawn);
  });
});
