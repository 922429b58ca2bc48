import { isPortcullisError } from "../../src/errors.js";

/** What a parser's refusal tells the user (`describe()`); anything else thrown, or nothing, fails the test. */
export function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isPortcullisError(error)) return error.describe();
    throw error;
  }
  throw new Error("expected a PortcullisError");
}
