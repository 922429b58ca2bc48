import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gitleaks } from "../../gates/src/tools/gitleaks.js";
import { k6 } from "../../gates/src/tools/k6.js";
import { semgrep } from "../../gates/src/tools/semgrep.js";
import { trivy } from "../../gates/src/tools/trivy.js";
import { renderToolsModule, TOOLS_GEN_FILE } from "../scripts/generate-tools.js";
import { fill, fillEnv } from "../src/argv.js";
import { LAYOUT } from "../src/layout.js";
import { ARGV, IMAGES, K6_ENV, REPORTS } from "../src/tools.gen.js";

describe("tools.gen.ts", () => {
  it("is what the adapters generate today (run `npx tsx dagger/scripts/generate-tools.ts` when this fails)", async () => {
    expect(readFileSync(TOOLS_GEN_FILE, "utf8")).toBe(await renderToolsModule());
  });

  it("carries each adapter's pinned image", () => {
    expect(IMAGES).toEqual({ gitleaks: gitleaks.image, trivy: trivy.image, semgrep: semgrep.image, k6: k6.image });
    for (const image of Object.values(IMAGES)) expect(image.ref).toMatch(/^[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$/);
  });

  it("names reports by the contract the CLI reads", () => {
    // trivy's adapter reads its log (a skipped lockfile is said only there): kept as trivy.fs.log.
    expect(REPORTS.trivy).toEqual({ report: "trivy.fs.json", exitCode: "trivy.fs.exitcode", log: "trivy.fs.log" });
    expect(REPORTS.gitleaksHistory).toEqual({ report: "gitleaks.history.json", exitCode: "gitleaks.history.exitcode" });
  });

  it("puts the binary first in every command line", () => {
    const binaries = Object.entries(ARGV).map(([name, argv]) => [name, argv[0]]);
    expect(Object.fromEntries(binaries)).toEqual({
      gitleaksDir: "gitleaks",
      gitleaksGit: "gitleaks",
      trivyFs: "trivy",
      trivyImage: "trivy",
      trivySbom: "trivy",
      trivyVersion: "trivy",
      k6Run: "k6",
      semgrepScan: "semgrep",
    });
  });
});

/** Values a user may pass: plain words, paths and git revisions (what fill and the builders both accept). */
const word = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._/@^~-]{0,24}$/);
const optional = fc.option(word, { nil: undefined });
const runs = { numRuns: 200, seed: 20261124 };

describe("templates equal the adapters' builders for any values (property)", () => {
  it("gitleaks git, with or without a range", () => {
    fc.assert(
      fc.property(fc.option(fc.record({ base: word, head: word }), { nil: undefined }), (range) => {
        fc.pre(range === undefined || (!range.base.includes("..") && !range.head.includes("..")));
        const expected = gitleaks.argv.git({
          repo: ".",
          reportPath: `${LAYOUT.out}/${REPORTS.gitleaksHistory.report}`,
          ...(range === undefined ? {} : { range }),
        });
        expect(fill(ARGV.gitleaksGit, range ?? {})).toEqual(["gitleaks", ...expected]);
      }),
      runs,
    );
  });

  it("trivy fs and image, for every option", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        optional,
        optional,
        (ignoreUnfixed, skipDbUpdate, dbRepository, javaDbRepository) => {
          const options = {
            cacheDir: LAYOUT.trivyCache,
            ignoreUnfixed,
            skipDbUpdate,
            ...(dbRepository === undefined ? {} : { dbRepository }),
            ...(javaDbRepository === undefined ? {} : { javaDbRepository }),
          };
          const values = { ignoreUnfixed, skipDbUpdate, dbRepository, javaDbRepository };
          expect(fill(ARGV.trivyFs, values)).toEqual([
            "trivy",
            ...trivy.argv.fs({ ...options, dir: ".", output: `${LAYOUT.out}/${REPORTS.trivy.report}` }),
          ]);
          expect(fill(ARGV.trivyImage, values)).toEqual([
            "trivy",
            ...trivy.argv.image({
              ...options,
              input: LAYOUT.imageTar,
              output: `${LAYOUT.out}/${REPORTS.trivyImage.report}`,
            }),
          ]);
        },
      ),
      runs,
    );
  });

  it("semgrep, for any list of rules", () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), (configs) => {
        fc.pre(configs.every((config) => config.toLowerCase() !== "auto"));
        const expected = semgrep.argv.scan({ configs, jsonOutput: `${LAYOUT.out}/${REPORTS.semgrep.report}` });
        expect(fill(ARGV.semgrepScan, { configs })).toEqual(["semgrep", ...expected]);
      }),
      runs,
    );
  });

  it("k6, for any scenario and target", () => {
    fc.assert(
      fc.property(
        word,
        fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        fc.integer({ min: 1, max: 65_535 }),
        (script, name, port) => {
          const host = `${name}:${port}`;
          expect(fill(ARGV.k6Run, { script })).toEqual([
            "k6",
            ...k6.argv.run({ script, summaryExport: `${LAYOUT.out}/${REPORTS.k6.report}` }),
          ]);
          expect(fillEnv(K6_ENV, { baseUrl: host })).toEqual(
            k6.env({ baseUrl: `http://${host}`, summaryPath: `${LAYOUT.out}/k6-summary.json` }),
          );
        },
      ),
      runs,
    );
  });

  it("the commands without options", () => {
    expect(fill(ARGV.gitleaksDir, {})).toEqual([
      "gitleaks",
      ...gitleaks.argv.dir({ source: ".", reportPath: `${LAYOUT.out}/${REPORTS.gitleaks.report}` }),
    ]);
    expect(fill(ARGV.trivySbom, {})).toEqual([
      "trivy",
      ...trivy.argv.sbom({ dir: ".", output: `${LAYOUT.out}/sbom.cdx.json`, cacheDir: LAYOUT.trivyCache }),
    ]);
    expect(fill(ARGV.trivyVersion, {})).toEqual(["trivy", ...trivy.argv.version(LAYOUT.trivyCache)]);
  });
});
