import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { renderAnnotations } from "../../src/report/annotations.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif } from "../../src/report/sarif.js";
import type { Report } from "../../src/model/report.js";
import { renderText } from "../../src/report/text.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";

/**
 * Redaction property: secrets planted anywhere a parser could have left them (finding title,
 * message, snippet, path, rule id, tool errors) and declared in ToolResult.secrets never reach any
 * output byte. Secrets are letters and digits so that no escaping could disguise a leak.
 */

const arbSecret = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/).map((value) => `Sx${value}`);

const PLACES = ["title", "message", "snippet", "path", "ruleId", "toolError", "k6"] as const;

function outputs(report: Report): Record<string, string> {
  return {
    json: renderJson(report),
    sarif: renderSarif(report),
    markdown: renderMarkdown(report),
    junit: renderJunit(report),
    annotations: renderAnnotations(report),
    text: renderText(report, { color: true }),
    html: renderHtml(report),
  };
}

describe("redaction", () => {
  it("no output contains a planted secret, wherever it was planted", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            secret: arbSecret,
            place: fc.constantFrom(...PLACES),
            kind: fc.constantFrom("gitleaks", "trivy", "semgrep"),
          }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (plants) => {
          const byKind = new Map<
            string,
            { findings: ReturnType<typeof finding>[]; secrets: string[]; errors: string[] }
          >();
          for (const plant of plants) {
            const kind = plant.place === "k6" ? "k6" : plant.kind;
            const entry = byKind.get(kind) ?? { findings: [], secrets: [], errors: [] };
            entry.secrets.push(plant.secret);
            const text = `value ${plant.secret} here`;
            if (plant.place === "toolError" || plant.place === "k6") entry.errors.push(text);
            else {
              entry.findings.push(
                finding(plant.kind, {
                  ...(plant.place === "title" ? { title: text } : {}),
                  ...(plant.place === "message" ? { message: text } : {}),
                  ...(plant.place === "snippet" ? { snippet: text, kind: "sast" } : {}),
                  ...(plant.place === "ruleId" ? { ruleId: plant.secret } : {}),
                  location: { path: plant.place === "path" ? `src/${plant.secret}.ts` : "src/app.ts", startLine: 4 },
                  severity: "critical",
                }),
              );
            }
            byKind.set(kind, entry);
          }
          const runs = cleanRuns().map((run) => {
            const entry = byKind.get(run.run.kind);
            if (entry === undefined) return run;
            return ok(run.run.kind, entry.findings, {
              secrets: entry.secrets,
              toolErrors: entry.errors.map((message) => ({ level: "warning" as const, message })),
            });
          });
          const { report } = evaluate(input({ runs }));
          for (const [name, output] of Object.entries(outputs(report))) {
            for (const plant of plants)
              expect(output, `${name} leaks the secret planted in ${plant.place}`).not.toContain(plant.secret);
          }
        },
      ),
      { seed: 4_711, numRuns: 60 },
    );
  });

  it("scrubs a secret from any of thousands of findings, also one that JSON writes escaped", () => {
    const plain = "SxLateDiscoveredToken123";
    const escaped = 'Sx"quoted\\token';
    const many = Array.from({ length: 5_000 }, (_, index) =>
      finding("semgrep", {
        message: index === 10 ? `uses ${plain}` : index === 4_500 ? `uses ${escaped}` : `finding ${index}`,
        location: { path: `src/file-${index}.ts`, startLine: 1 + index },
      }),
    );
    const { report } = evaluate(
      input({
        runs: cleanRuns().map((run) =>
          run.run.kind === "semgrep" ? ok("semgrep", many, { secrets: [plain, escaped] }) : run,
        ),
      }),
    );
    const messages = (JSON.parse(renderJson(report)) as Report).findings.map((each) => each.message);
    expect(messages).toHaveLength(5_000);
    expect(messages.filter((message) => message === "uses REDACTED")).toHaveLength(2);
    expect(messages.filter((message) => message.includes(plain) || message.includes(escaped))).toEqual([]);
    expect(messages.filter((message) => message.startsWith("finding "))).toHaveLength(4_998);
  });
});
