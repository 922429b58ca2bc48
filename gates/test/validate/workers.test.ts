import { describe, expect, it } from "vitest";
import { youngGenerationMb } from "../../src/validate/workers.js";

const GB = 2 ** 30;

describe("youngGenerationMb", () => {
  it("gives each worker 384 MB where an eighth of the memory covers every worker", () => {
    expect(youngGenerationMb(2, 24 * GB)).toBe(384);
    expect(youngGenerationMb(4, 16 * GB)).toBe(384);
  });

  it("shares an eighth of a small machine's memory among the workers, never below Node's default", () => {
    expect(youngGenerationMb(4, 4 * GB)).toBe(128);
    expect(youngGenerationMb(8, 2 * GB)).toBe(48);
  });
});
