import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { z } from "zod";
import type { Finding } from "../../src/findings/finding.js";
import { ValidateConfig, type ValidateConfigInput } from "../../src/validate/config.js";
import type { ValidateResult } from "../../src/validate/findings.js";
import type { SourceFile } from "../../src/validate/parse.js";
import { validateFiles } from "../../src/validate/validate.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/validate/", import.meta.url));

/** A fixture tree: `gates/test/fixtures/validate/<name>.yml` maps repository paths to contents. */
export function fixtureTree(name: string): SourceFile[] {
  const document = z
    .record(z.string(), z.string())
    .parse(yaml.load(readFileSync(path.join(FIXTURES, `${name}.yml`), "utf8")));
  return Object.entries(document).map(([file, content]) => ({ path: file, content }));
}

/** Runs the pure core in this thread over a tree, with a config as a user would write it. */
export function validateTree(files: readonly SourceFile[], config: ValidateConfigInput = {}): Promise<ValidateResult> {
  return validateFiles({ files }, ValidateConfig.parse(config), { workers: 0 });
}

/** `rule path:line:col` per finding, for compact assertions. */
export function brief(findings: readonly Finding[], rule?: string): string[] {
  return findings
    .filter((finding) => rule === undefined || finding.ruleId === rule)
    .map(
      (finding) =>
        `${finding.ruleId} ${finding.location?.path ?? ""}:${finding.location?.startLine ?? 0}:${finding.location?.startColumn ?? 0}`,
    );
}

/** Writes a tree to a fresh temporary folder; returns it and a cleanup. */
export async function materialize(
  files: readonly SourceFile[],
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "portcullis-validate-"));
  for (const file of files) {
    const target = path.join(dir, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
