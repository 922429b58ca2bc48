import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";
import { sleep, startVersionServer, type VersionServer } from "./helpers/processes.js";

/**
 * The git-ref state store with real git: a bare "origin" and two clones standing for two
 * throwaway CI runners. They deploy in turn and share one history and one lock through
 * refs/portcullis/staging. Traffic goes through the command router (a weights file).
 */
describe("git-ref state store shared by two clones", () => {
  let work: string;
  let blue: VersionServer;
  let green: VersionServer;
  let cloneA: string;
  let cloneB: string;
  let weightsFile: string;
  const ref = "refs/portcullis/staging";

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "portcullis-git-"));
    blue = await startVersionServer("v1");
    green = await startVersionServer("v2");
    const git = (cwd: string, ...args: string[]): string =>
      execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    git(work, "init", "--quiet", "--bare", "origin.git");
    git(work, "clone", "--quiet", "origin.git", "a");
    git(work, "clone", "--quiet", "origin.git", "b");
    cloneA = path.join(work, "a");
    cloneB = path.join(work, "b");
    weightsFile = path.join(work, "weights");
    await writeFile(weightsFile, "100 0");
  });

  afterAll(async () => {
    await blue?.stop();
    await green?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  function flags(extra: string[] = []): string[] {
    return [
      "--router",
      "command",
      "--command-set",
      `printf '%s %s' {blue} {green} > ${weightsFile}`,
      "--command-get",
      `cat ${weightsFile}`,
      "--blue",
      blue.url,
      "--green",
      green.url,
      "--state-git-ref",
      ref,
      "--steps",
      "50,100",
      // One commit per transition and per window: the git store suits windows of seconds.
      "--bake",
      "1s",
      "--interval",
      "1s",
      "--warmup",
      "0s",
      "--probe-rate",
      "50",
      "--min-requests",
      "5",
      "--max-p95",
      "2s",
      ...extra,
    ];
  }
  const deploy = (clone: string, release: string, extra: string[] = []) =>
    cli(
      [
        "deploy",
        "--release",
        release,
        "--force",
        "--reason",
        "git store test",
        "--actor",
        path.basename(clone),
        ...flags(extra),
      ],
      clone,
    );

  it("shares state, history and the lock through the ref", async () => {
    const first = await deploy(cloneA, "v2");
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const seenFromB = await cli(["status", "--format", "json", ...flags()], cloneB);
    expect(JSON.parse(seenFromB.stdout)).toMatchObject({
      state: { active: "green", slots: { green: { release: "v2" } } },
      router: { weights: { blue: 0, green: 100 } },
    });

    // B deploys next and pauses before 100 %: it holds the lock in the ref.
    const fromB = deploy(cloneB, "v3", ["--manual-promotion", "--lock-lease", "10s"]);
    for (let i = 0; ; i += 1) {
      const status = JSON.parse((await cli(["status", "--format", "json", ...flags()], cloneA)).stdout) as {
        state: { phase: string } | null;
      };
      if (status.state?.phase === "paused") break;
      if (i > 300) throw new Error("B never paused");
      await sleep(200);
    }
    const refused = await deploy(cloneA, "v4");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/another controller holds the lock: b@/);

    const promoted = await cli(["promote", "--actor", "a", ...flags()], cloneA);
    expect(promoted.code, promoted.stderr).toBe(0);
    const fromBDone = await fromB;
    expect(fromBDone.code, fromBDone.stdout + fromBDone.stderr).toBe(0);

    const history = await cli(["history", "--format", "json", "--limit", "100", "--state-git-ref", ref], cloneA);
    const records = JSON.parse(history.stdout) as {
      type: string;
      release: string | null;
      outcome?: string;
      action?: string;
      actor: string;
    }[];
    const finished = records
      .filter((record) => record.type === "deploy_finished")
      .map((record) => `${record.release}:${record.outcome}`);
    expect(finished.reverse()).toEqual(["v2:succeeded", "v3:succeeded"]);
    expect(records.find((record) => record.action === "promote")?.actor).toBe("a");
    for (const clone of [cloneA, cloneB])
      expect((await cli(["ledger", "verify", "--state-git-ref", ref], clone)).code).toBe(0);

    const commits = execFileSync("git", ["rev-list", "--count", ref], {
      cwd: path.join(work, "origin.git"),
      encoding: "utf8",
    });
    expect(Number(commits)).toBeGreaterThan(10);
    const status = JSON.parse((await cli(["status", "--format", "json", ...flags()], cloneB)).stdout) as {
      state: { active: string; slots: { blue: { release: string } } };
    };
    expect(status.state.active).toBe("blue");
    expect(status.state.slots.blue.release).toBe("v3");
  }, 240_000);
});
