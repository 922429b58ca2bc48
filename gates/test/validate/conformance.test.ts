import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { countTokens } from "@anthropic-ai/tokenizer";
import { lint } from "markdownlint/sync";
import { beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings/finding.js";
import { ValidateConfig } from "../../src/validate/config.js";
import { listRepository } from "../../src/validate/repository.js";
import { validateFiles } from "../../src/validate/validate.js";
import { corporaDir } from "../conformance/fixtures-dir.js";

const corpora = corporaDir();
const ROOT = corpora === undefined ? "" : path.join(corpora, "claude-modular-pr205");

/** The corpus's own budgets (config/settings.json `module_system.token_limits.module_size`) plus the default. */
const CONFIG = ValidateConfig.parse({
  token_budgets: [
    { glob: ".claude/modules/**/*.md", max: 2000 },
    { glob: "**/CLAUDE.md", max: 10_000 },
  ],
});

function at(findings: readonly Finding[], rule: string, where: string): Finding | undefined {
  return findings.find(
    (finding) =>
      finding.ruleId === rule &&
      `${finding.location?.path ?? ""}:${finding.location?.startLine ?? 0}:${finding.location?.startColumn ?? 0}` ===
        where,
  );
}

function markdownFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) return markdownFiles(path.join(dir, entry.name), relative);
    return entry.name.endsWith(".md") ? [relative] : [];
  });
}

/**
 * An independent count of `patterns/pattern-library.md` inside ```xml fences: a plain line scanner
 * (top-level fences; a closing fence has no info string), not the validator's parser.
 */
function patternLibraryInXmlFences(files: readonly string[]): number {
  let count = 0;
  for (const file of files) {
    let fence: { marker: string; language: string } | undefined;
    for (const line of readFileSync(path.join(ROOT, file), "utf8").split("\n")) {
      const match = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*$/.exec(line);
      if (match !== null && fence === undefined) {
        fence = { marker: match[1] ?? "", language: (match[2] ?? "").toLowerCase() };
        continue;
      }
      if (match !== null && fence !== undefined && match[2] === "" && (match[1] ?? "").startsWith(fence.marker)) {
        fence = undefined;
        continue;
      }
      if (fence?.language === "xml") count += line.match(/(?<![\w./])patterns\/pattern-library\.md/g)?.length ?? 0;
    }
  }
  return count;
}

describe.skipIf(corpora === undefined)("validate conformance: claude-modular-pr205", () => {
  let findings: Finding[] = [];
  let filesScanned = 0;
  let files: Awaited<ReturnType<typeof listRepository>>;

  beforeAll(async () => {
    files = await listRepository(ROOT, CONFIG);
    ({ findings, filesScanned } = await validateFiles(files, CONFIG, { workers: 0 }));
  }, 300_000);

  it("checks every Markdown file and finds the corpus's known defects, by rule", () => {
    expect(filesScanned).toBe(markdownFiles(ROOT).length);
    const counts: Record<string, number> = {};
    for (const finding of findings) {
      const rule = finding.ruleId.startsWith("markdownlint/") ? "markdownlint" : finding.ruleId;
      counts[rule] = (counts[rule] ?? 0) + 1;
    }
    expect(counts).toEqual({
      "broken-link": 39,
      "missing-reference": 463,
      "reference-cycle": 3,
      "xml-malformed": 90,
      "token-budget": 35,
      "unclosed-fence": 8,
      "orphan-module": 20,
      markdownlint: 4597,
    });
  });

  it("reports what markdownlint itself reports with the same configuration", () => {
    const strings = Object.fromEntries(files.files.map((file) => [file.path, file.content]));
    const results = lint({ strings, config: { default: true, MD013: false } });
    const direct = Object.values(results).reduce((total, errors) => total + errors.length, 0);
    expect(findings.filter((finding) => finding.ruleId.startsWith("markdownlint/"))).toHaveLength(direct);
  }, 300_000);

  it("finds every `patterns/pattern-library.md` reference in ```xml fences (the file does not exist)", () => {
    const reported = findings.filter(
      (finding) =>
        finding.ruleId === "missing-reference" && finding.message.startsWith("reference `patterns/pattern-library.md`"),
    );
    expect(reported).toHaveLength(patternLibraryInXmlFences(markdownFiles(ROOT)));
    expect(reported.length).toBeGreaterThan(100);
  });

  it("reports specific defects verified by reading the files", () => {
    // project-priming.md:454 depends on context/restore-session.md, whose <depends_on> (line 348) names context/project-priming.md.
    expect(at(findings, "reference-cycle", ".claude/system/context/project-priming.md:454:7")?.message).toContain(
      "dependency cycle: .claude/system/context/project-priming.md → .claude/system/context/restore-session.md → .claude/system/context/project-priming.md",
    );
    // Line 469 reads `<rollback_systems">`.
    expect(at(findings, "xml-malformed", ".claude/domain/wizard/continuous-improvement.md:469:24")?.message).toContain(
      'unexpected `"` in tag `<rollback_systems>`',
    );
    // Line 65: `<pre_operation>git add -A && git commit …`.
    expect(at(findings, "xml-malformed", ".claude/commands/init-custom.md:65:33")?.message).toContain("unescaped `&`");
    // The heading is `### 🎯 **Foundation Level** (0-1 hours)`: GitHub's anchor starts with `-` for the dropped emoji.
    expect(at(findings, "broken-link", "docs/user-guide/README.md:6:37")?.message).toContain(
      "anchor `#foundation-level-0-1-hours` matches no heading",
    );
    // Line 43 opens ```xml; the later "```xml" lines cannot close it (a closing fence has no info string).
    expect(
      at(findings, "unclosed-fence", ".claude/domain/templates/software-engineering-generic.md:43:1"),
    ).toBeDefined();
    // `../../prompt_eng/../../prompt_eng/…` climbs out of .claude/ and the root alike.
    expect(at(findings, "missing-reference", ".claude/modules/patterns/tdd-cycle-pattern.md:167:7")?.message).toContain(
      "reference `../../prompt_eng/../../prompt_eng/patterns/critical-thinking-pattern.md` resolves to no file",
    );
  });

  it("counts tokens as the library's own countTokens does", () => {
    const claude = at(findings, "token-budget", "CLAUDE.md:1:1");
    const expected = countTokens(readFileSync(path.join(ROOT, "CLAUDE.md"), "utf8"));
    expect(claude?.message).toMatch(new RegExp(`^${expected} tokens`));
    expect(expected).toBeGreaterThan(10_000);
  });

  it("gives the same findings, in the same order, on worker threads", async () => {
    const threaded = await validateFiles(files, CONFIG, { workers: 2 });
    expect(threaded.findings.map((finding) => finding.fingerprint)).toEqual(
      findings.map((finding) => finding.fingerprint),
    );
    expect(threaded.findings).toEqual(findings);
  }, 300_000);
});
