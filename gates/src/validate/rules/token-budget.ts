import type { RawFinding } from "../rule-ids.js";
import type { TokenCounter } from "../tokens.js";

/** One `token_budgets` entry of the config. */
export interface TokenBudget {
  glob: string;
  max: number;
}

/** Rule 7: a file over its budget (the first `token_budgets` entry whose glob matches). */
export async function overTokenBudget(
  path: string,
  content: string,
  budget: TokenBudget,
  counter: TokenCounter,
): Promise<RawFinding[]> {
  if (!counter.mayExceed(content, budget.max)) return [];
  const tokens = await counter.count(content);
  if (tokens <= budget.max) return [];
  const method = counter.kind === "anthropic" ? "Claude tokenizer, approximate" : "characters / 4";
  return [
    {
      ruleId: "token-budget",
      path,
      line: 1,
      column: 1,
      message:
        `${tokens} tokens (${method}) exceed the budget of ${budget.max} for \`${budget.glob}\` by ${tokens - budget.max}. ` +
        "Fix: split the file or move detail into files loaded on demand, or raise the budget in portcullis.yml.",
      target: budget.glob,
    },
  ];
}
