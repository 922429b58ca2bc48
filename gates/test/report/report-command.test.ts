import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chainEntries, parseLedger } from "../../src/deploy/ledger.js";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { deployTimelines } from "../../src/report/deploy-timeline.js";
import { realisticReport } from "./html-report-fixture.js";

function fakeIo(cwd: string): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}, cwd, isTty: false };
}

const STEP = (index: number, percent: number, decision: "pass" | "fail", at: string) => ({
  index,
  percent,
  weights: { blue: 100 - percent, green: percent },
  confirmed_at: at,
  windows: [],
  decision,
  reason: decision === "fail" ? "error rate 0.041 > 0.001" : "all checks passed",
  decided_at: at,
});

/** A ledger with one rolled-back deploy of commit abc123 and one older deploy of another commit. */
function ledgerText(): string {
  const base = { environment: "production", actor: "ci", commit_time: null };
  const { lines } = chainEntries(null, [
    {
      ...base,
      type: "deploy_started",
      at: "2026-11-20T10:00:00Z",
      deploy_id: "d-old",
      release: "v1.0.0",
      commit: "old",
      to_slot: "green",
    },
    {
      ...base,
      type: "deploy_finished",
      at: "2026-11-20T10:05:00Z",
      deploy_id: "d-old",
      release: "v1.0.0",
      commit: "old",
      outcome: "succeeded",
    },
    {
      ...base,
      type: "deploy_started",
      at: "2026-11-24T08:00:00Z",
      deploy_id: "d-1",
      release: "v1.1.0",
      commit: "abc123",
      to_slot: "blue",
    },
    {
      ...base,
      type: "step",
      at: "2026-11-24T08:00:30Z",
      deploy_id: "d-1",
      release: "v1.1.0",
      commit: "abc123",
      step: { ...STEP(0, 10, "pass", "2026-11-24T08:00:30Z"), weights: { blue: 10, green: 90 } },
    },
    {
      ...base,
      type: "step",
      at: "2026-11-24T08:01:00Z",
      deploy_id: "d-1",
      release: "v1.1.0",
      commit: "abc123",
      step: { ...STEP(1, 25, "fail", "2026-11-24T08:01:00Z"), weights: { blue: 25, green: 75 } },
    },
    {
      ...base,
      type: "rollback",
      at: "2026-11-24T08:01:01Z",
      deploy_id: "d-1",
      release: "v1.1.0",
      commit: "abc123",
      reason: "analysis failed at 25 %",
    },
    {
      ...base,
      type: "deploy_finished",
      at: "2026-11-24T08:01:02Z",
      deploy_id: "d-1",
      release: "v1.1.0",
      commit: "abc123",
      outcome: "rolled_back",
    },
  ]);
  return lines;
}

describe("deploy timelines from the ledger", () => {
  it("draws the new slot's traffic per step, the failed analysis and the rollback", () => {
    const lines = parseLedger(ledgerText());
    const timelines = deployTimelines(lines, { commit: "abc123" });
    expect(timelines).toEqual([
      {
        id: "d-1",
        version: "v1.1.0",
        outcome: "rolled_back",
        steps: [
          { atMs: 30_000, weight: 10, analysis: "pass", note: "all checks passed" },
          { atMs: 60_000, weight: 25, analysis: "fail", note: "error rate 0.041 > 0.001" },
          { atMs: 61_000, weight: 0, note: "analysis failed at 25 %" },
        ],
      },
    ]);
    expect(deployTimelines(lines).map((t) => t.id)).toEqual(["d-old", "d-1"]);
  });
});

describe("portcullis report", () => {
  it("renders report.html from report.json, a k6 stream and a ledger", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-report-"));
    writeFileSync(path.join(dir, "report.json"), JSON.stringify({ ...realisticReport(20), commit: "abc123" }));
    writeFileSync(path.join(dir, "ledger.jsonl"), ledgerText());
    const points = [0, 1, 2].flatMap((second) => [
      { type: "Point", metric: "http_reqs", data: { time: `2026-11-24T08:00:0${second}.100Z`, value: 1, tags: {} } },
      {
        type: "Point",
        metric: "http_req_duration",
        data: { time: `2026-11-24T08:00:0${second}.200Z`, value: 120 + second, tags: {} },
      },
      {
        type: "Point",
        metric: "http_req_failed",
        data: { time: `2026-11-24T08:00:0${second}.300Z`, value: 0, tags: {} },
      },
    ]);
    writeFileSync(path.join(dir, "k6.ndjson"), points.map((p) => JSON.stringify(p)).join("\n"));
    const io = fakeIo(dir);
    const code = await main(
      [
        "node",
        "portcullis",
        "report",
        "--from",
        "report.json",
        "--k6-stream",
        "k6.ndjson",
        "--ledger",
        "ledger.jsonl",
        "--out",
        "html",
      ],
      io,
    );
    expect(io.err.join("")).toBe("");
    expect(code).toBe(0);
    const html = readFileSync(path.join(dir, "html", "report.html"), "utf8");
    expect(html).toContain("v1.1.0 · rolled_back");
    expect(html).toContain("Requests per second");
    expect(html).toContain("Blocked by secrets");
  });

  it.each([
    ["missing.json", undefined, /REPORT_MISSING.*cannot read the file: ENOENT/],
    [".", undefined, /REPORT_MISSING.*is a folder, expected a file/],
    ["bad.json", "{", /REPORT_MALFORMED/],
    ["other.json", '{"schema":"something/v9"}', /REPORT_INVALID.*portcullis.report\/v2/],
  ])("fails with a typed error and exit 2 for %s", async (name, content, expected) => {
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-report-"));
    if (content !== undefined) writeFileSync(path.join(dir, name), content);
    const io = fakeIo(dir);
    expect(await main(["node", "portcullis", "report", "--from", name], io)).toBe(2);
    expect(io.err.join("")).toMatch(expected);
  });
});
