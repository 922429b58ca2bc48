import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import {
  ConfigError,
  ERROR_CODES,
  EXIT,
  EXIT_CODES,
  FAMILY_EXIT,
  InternalError,
  IoError,
  ReportError,
  ToolRunError,
  UsageError,
  exitCodeOf,
  messageOf,
  type ErrorCode,
  type PortcullisError,
} from "../../src/errors.js";
import type * as EvaluateModule from "../../src/evaluate/evaluate.js";
import { GATEKEEPER, run, tempDir } from "./cli-harness.js";

// A report that breaks its own schema is a bug: renderJson refuses it with an INTERNAL error.
vi.mock("../../src/evaluate/evaluate.js", async (importOriginal) => {
  const original = await importOriginal<typeof EvaluateModule>();
  return {
    ...original,
    evaluate: (...args: Parameters<typeof original.evaluate>) => {
      const output = original.evaluate(...args);
      return { ...output, report: { ...output.report, passed: "yes" as unknown as boolean } };
    },
  };
});

const DOCS = readFileSync(new URL("../../../docs/cli.md", import.meta.url), "utf8");

describe("exit codes", () => {
  it("a bug (INTERNAL) exits 70, not 1 (blocked), and says it is one", async () => {
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", ".", "--format", "json"], {
      cwd: tempDir(),
    });
    expect(result.stderr).toMatch(/\[INTERNAL\] report\.json does not match its schema: passed: .*this is a bug/);
    expect(result.code).toBe(70);
  });

  it("docs/cli.md lists exactly the table of the code", () => {
    const section = DOCS.slice(DOCS.indexOf("## Exit codes"));
    const rows = [...section.matchAll(/^\| `(\d+)` +\| (.+?) +\|$/gm)].map((match) => [Number(match[1]), match[2]]);
    expect(rows).toEqual(Object.values(EXIT_CODES).map((entry) => [entry.code, entry.meaning]));
  });

  it.each(Object.keys(ERROR_CODES) as ErrorCode[])("%s exits with its family's code", (code) => {
    const error = errorFor(code);
    expect(error.code).toBe(code);
    expect(exitCodeOf(error)).toBe(EXIT[FAMILY_EXIT[ERROR_CODES[code]]]);
  });

  it("usage, configuration, report and tool errors are 2; IO is 1; INTERNAL and anything unknown are 70", () => {
    expect(exitCodeOf(new UsageError("USAGE", "x"))).toBe(2);
    expect(exitCodeOf(new ConfigError("POLICY_INVALID", "x"))).toBe(2);
    expect(exitCodeOf(new ReportError("REPORT_MALFORMED", "x"))).toBe(2);
    expect(exitCodeOf(new ToolRunError("TOOL_NOT_FOUND", "x"))).toBe(2);
    expect(exitCodeOf(new IoError("x"))).toBe(1);
    expect(exitCodeOf(new InternalError("x"))).toBe(70);
    expect(exitCodeOf(new TypeError("x"))).toBe(70);
  });

  it("a class takes only the codes of its family (checked by the compiler)", () => {
    // @ts-expect-error -- IO is not a configuration code: it is IoError's.
    expect(new ConfigError("IO", "x").exitCode).toBe(1);
    // @ts-expect-error -- CONFIG_INVALID is not a usage code.
    expect(new UsageError("CONFIG_INVALID", "x").exitCode).toBe(2);
  });

  it("messageOf reads anything thrown", () => {
    expect(messageOf(new Error("disk full"))).toBe("disk full");
    expect(messageOf("plain text")).toBe("plain text");
    expect(messageOf(42)).toBe("42");
  });
});

// --- internal ---

function errorFor(code: ErrorCode): PortcullisError {
  const family = ERROR_CODES[code];
  switch (family) {
    case "usage":
      return new UsageError(code as "USAGE", "x");
    case "config":
      return new ConfigError(code as "CONFIG_INVALID", "x");
    case "report":
      return new ReportError(code as "REPORT_MISSING", "x");
    case "tool":
      return new ToolRunError(code as "TOOL_FAILED", "x");
    case "io":
      return new IoError("x");
    case "internal":
      return new InternalError("x");
  }
}
