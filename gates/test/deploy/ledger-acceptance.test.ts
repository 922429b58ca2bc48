import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { haveBinaries, sleep } from "./helpers/processes.js";
import { tally, useStand } from "./helpers/stand.js";

/**
 * Acceptance, through a real nginx, of the ledger as the source of truth: a broken chain stops
 * everything that reads or extends it (4) except a plain emergency rollback, and "previous"
 * means the release that succeeded before the live one, however often it is asked (8).
 */
const available = haveBinaries(["nginx"]);

describe.skipIf(!available)("the ledger is enforced, and previous means previous", { timeout: 120_000 }, () => {
  const scene = useStand("portcullis-ledger-");

  // The deploy hook makes the slot serve the release it deploys, as a real one would.
  const hook = 'curl -sf "$PORTCULLIS_SLOT_URL/__admin/version?v=$PORTCULLIS_RELEASE" > /dev/null';
  const run = (...args: string[]) => scene.run(args, { "deploy-hook": hook });
  const deploy = (release: string) => scene.deploy(release, { "deploy-hook": hook });

  it("4. a cut tail stops deploy, history, metrics and --to-previous (exit 2, first bad line); a plain rollback still runs", async () => {
    const { stand, stateDir } = scene;
    for (const release of ["r1", "r2"]) expect((await deploy(release)).code).toBe(0);
    const file = stand.ledgerFile(stateDir);
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    await writeFile(file, `${lines.slice(0, -1).join("\n")}\n`);

    const next = await deploy("r3");
    expect(next.code, next.stdout + next.stderr).toBe(2);
    expect(next.stderr).toMatch(
      new RegExp(
        `broken at line ${lines.length - 1}: the ledger ends at record ${lines.length - 1} but the state records ${lines.length}`,
      ),
    );
    for (const command of [["history"], ["metrics"], ["rollback", "--to-previous"]]) {
      const refused = await run(...command);
      expect(refused.code, `${command.join(" ")}: ${refused.stdout}${refused.stderr}`).toBe(2);
      expect(refused.stderr).toMatch(/broken at line \d+/);
    }
    expect(tally(await stand.versions(20))).toEqual({ r2: 20 });

    const emergency = await run("rollback", "--reason", "r2 is bad");
    expect(emergency.code, emergency.stdout + emergency.stderr).toBe(0);
    expect(tally(await stand.versions(20))).toEqual({ r1: 20 });
    const records = (await readFile(file, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((record) => record["action"] === "ledger_broken")?.["reason"]).toMatch(
      /the ledger's chain is broken \(line \d+: the ledger ends at record/,
    );
    await sleep(200);
    expect(stand.notices).toContainEqual(expect.objectContaining({ event: "ledger_broken", severity: "critical" }));
    expect((await run("ledger", "verify")).code).toBe(1);
  });

  it("4b. --to-previous never deploys a release name from an edited line", async () => {
    const { stand, stateDir } = scene;
    for (const release of ["r1", "r2"]) expect((await deploy(release)).code).toBe(0);
    const file = stand.ledgerFile(stateDir);
    const text = await readFile(file, "utf8");
    await writeFile(
      file,
      text
        .replace('"outcome":"succeeded","reason":"r1 is live', '"outcome":"succeeded","reason":"evil is live')
        .replaceAll('"release":"r1"', '"release":"evil"'),
    );
    const refused = await run("rollback", "--to-previous");
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/broken at line 1: content does not match its hash/);
    expect(tally(await stand.versions(20))).toEqual({ r2: 20 });
  });

  it("8. rollback --to-previous twice goes back to the release before, never to the one just left", async () => {
    const { stand } = scene;
    for (const release of ["r1", "r2", "r3"]) expect((await deploy(release)).code).toBe(0);
    expect(tally(await stand.versions(20))).toEqual({ r3: 20 });

    const first = await run("rollback", "--to-previous", "--reason", "r3 broken");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(tally(await stand.versions(20))).toEqual({ r2: 20 });

    const second = await run("rollback", "--to-previous", "--reason", "r2 broken too");
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/traffic restored to \w+ \(r1\)/);
    expect(tally(await stand.versions(20))).toEqual({ r1: 20 });

    const third = await run("rollback", "--to-previous");
    expect(third.code).toBe(2);
    expect(third.stderr).toMatch(/no earlier stable release than the live one/);
    expect(tally(await stand.versions(20))).toEqual({ r1: 20 });
  });
});
