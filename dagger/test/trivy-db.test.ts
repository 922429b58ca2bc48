import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { durationMs, staleDbReason } from "../src/trivy-db.js";

const NOW = new Date("2026-09-01T12:00:00Z");

/** `trivy version --format json` as trivy 0.74 prints it. */
function versionOutput(updatedAt: string): string {
  return JSON.stringify({
    Version: "0.74.0",
    VulnerabilityDB: {
      Version: 2,
      NextUpdate: "2026-09-02T00:00:00Z",
      UpdatedAt: updatedAt,
      DownloadedAt: "2026-09-01T01:00:00Z",
    },
    CheckBundle: { Digest: "sha256:0f", DownloadedAt: "2026-09-01T01:00:00Z" },
  });
}

describe("staleDbReason", () => {
  it.each([
    ["built an hour ago", versionOutput("2026-09-01T11:00:00Z"), "168h"],
    ["exactly at the limit", versionOutput("2026-08-25T12:00:00Z"), "168h"],
    ["within a tight limit", versionOutput("2026-09-01T11:30:00Z"), "30m"],
  ])("accepts a DB %s", (_name, output, maxAge) => {
    expect(staleDbReason(output, maxAge, NOW)).toBeUndefined();
  });

  it.each([
    [
      "older than the limit",
      versionOutput("2026-08-20T00:00:00Z"),
      "168h",
      /built 2026-08-20T00:00:00.000Z, 300h ago, older than the 168h maximum/,
    ],
    ["with no DB downloaded", JSON.stringify({ Version: "0.74.0" }), "168h", /no vulnerability DB in its cache/],
    ["with an unreadable date", versionOutput("yesterday"), "168h", /no readable UpdatedAt \("yesterday"\)/],
    [
      "when trivy printed no JSON",
      "FATAL failed to open cache",
      "168h",
      /printed no JSON \("FATAL failed to open cache"\)/,
    ],
    ["when trivy printed JSON of another shape", "[1,2]", "168h", /no vulnerability DB/],
  ])("refuses a DB %s", (_name, output, maxAge, reason) => {
    expect(staleDbReason(output, maxAge, NOW)).toMatch(reason);
  });

  it("names the fix", () => {
    expect(staleDbReason(versionOutput("2026-01-01T00:00:00Z"), "168h", NOW)).toMatch(
      /refresh the mirror .* or allow an older DB with trivyMaxDbAge/,
    );
  });

  it("never accepts a DB older than the limit, whatever the limit (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (limitHours, extraMinutes) => {
          const updated = new Date(NOW.getTime() - limitHours * 3_600_000 - extraMinutes * 60_000);
          expect(staleDbReason(versionOutput(updated.toISOString()), `${limitHours}h`, NOW)).toBeDefined();
        },
      ),
      { seed: 4 },
    );
  });
});

describe("durationMs", () => {
  it.each([
    ["200ms", 200],
    ["30s", 30_000],
    ["5m", 300_000],
    ["168h", 604_800_000],
    ["1.5h", 5_400_000],
  ])("%s", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(["7d", "", "h", "-1h", "10"])("refuses %j", (text) => {
    expect(() => durationMs(text)).toThrow(/is not a duration: write a number and a unit, ms, s, m or h/);
  });
});
