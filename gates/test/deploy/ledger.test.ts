import { describe, expect, it } from "vitest";
import { chainEntries, ledgerChain, parseLedger, verifyLedger, type LedgerEntry } from "../../src/deploy/ledger.js";

function entry(i: number, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    type: "deploy_started",
    at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
    environment: "production",
    deploy_id: `d${i}`,
    release: `v${i}`,
    commit: `c${i}`,
    commit_time: null,
    actor: "ci",
    ...extra,
  };
}

function ledgerOf(count: number): { text: string; head: { seq: number; hash: string } | null } {
  const first = chainEntries(null, [entry(1), entry(2)]);
  const rest = chainEntries(
    first.head,
    Array.from({ length: count - 2 }, (_, i) => entry(i + 3)),
  );
  return { text: first.lines + rest.lines, head: rest.head };
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

describe("ledger", () => {
  it("chains appends across calls and verifies clean", () => {
    const { text, head } = ledgerOf(5);
    const result = verifyLedger(text, head);
    expect(result).toMatchObject({ ok: true, records: 5, head: { seq: 5 } });
    expect(result.problems).toEqual([]);
    expect(parseLedger(text).map((r) => r.release)).toEqual(["v1", "v2", "v3", "v4", "v5"]);
    expect(parseLedger(text)[1]?.prev).toBe(parseLedger(text)[0]?.hash);
  });

  it.each([
    {
      name: "an edited field",
      tamper: (l: string[]) => l.map((line, i) => (i === 2 ? line.replace('"release":"v3"', '"release":"v9"') : line)),
      kind: "hash",
    },
    { name: "a removed middle record", tamper: (l: string[]) => l.filter((_, i) => i !== 1), kind: "sequence" },
    {
      name: "swapped records",
      tamper: (l: string[]) => [l[0] ?? "", l[2] ?? "", l[1] ?? "", ...l.slice(3)],
      kind: "chain",
    },
    { name: "a removed last record", tamper: (l: string[]) => l.slice(0, -1), kind: "truncated" },
    {
      name: "a line cut short",
      tamper: (l: string[]) => [...l.slice(0, -1), (l.at(-1) ?? "").slice(0, 40)],
      kind: "malformed",
    },
    { name: "a record re-hashed after editing", tamper: (l: string[]) => rehashed(l), kind: "rewritten" },
  ])("detects $name", ({ tamper, kind }) => {
    const { text, head } = ledgerOf(5);
    const result = verifyLedger(`${tamper(lines(text)).join("\n")}\n`, head);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.kind)).toContain(kind);
  });

  it("reports records past the state's head without failing (a save interrupted between writes)", () => {
    const { text, head } = ledgerOf(4);
    const more = chainEntries(head, [entry(5)]);
    const result = verifyLedger(text + more.lines, head);
    expect(result.ok).toBe(true);
    expect(result.problems.map((p) => p.kind)).toEqual(["ahead"]);
  });

  it("refuses to read a damaged ledger for history and metrics", () => {
    const { text } = ledgerOf(3);
    expect(() => parseLedger(`${text}{"half":`)).toThrow(/line 4 is not a ledger record/);
  });
});

/** Edits record 5 and recomputes its hash: the chain is self-consistent, only the state's head knows. */
function rehashed(l: string[]): string[] {
  const { text } = ledgerOf(4);
  const head = verifyLedger(text, null).head;
  const forged = chainEntries(head, [entry(5, { release: "forged" })]);
  expect(l).toHaveLength(5);
  return [...lines(text), ...lines(forged.lines)];
}

describe("ledgerChain", () => {
  it("chains new records from the verified end, never from a cut tail", () => {
    const { text, head } = ledgerOf(4);
    expect(ledgerChain(text, head)).toMatchObject({ head, broken: null });
    const more = chainEntries(head, [entry(5)]);
    expect(ledgerChain(text + more.lines, head)).toMatchObject({ head: more.head, broken: null });
    const cut = `${lines(text).slice(0, -1).join("\n")}\n`;
    expect(ledgerChain(cut, head)).toMatchObject({
      head,
      broken: "line 3: the ledger ends at record 3 but the state records 4: records were removed from the end",
    });
    const edited = text.replace('"actor":"ci"', '"actor":"mallory"');
    expect(ledgerChain(edited, head).broken).toBe("line 1: content does not match its hash (record 1 was modified)");
  });
});
