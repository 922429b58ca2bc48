import type { Position } from "../positions.js";
import type { RawFinding } from "../rule-ids.js";
import type { XmlProblem } from "../xml.js";

/**
 * Rule 5, ```xml blocks: the first well-formedness problem of a block (later ones are often its
 * echo), at its line in the Markdown file.
 */
export function malformedXmlBlock(
  path: string,
  problems: readonly XmlProblem[],
  position: (offset: number) => Position,
): RawFinding[] {
  const first = problems[0];
  if (first === undefined) return [];
  return [
    {
      ruleId: "xml-malformed",
      path,
      ...position(first.offset),
      message: `\`\`\`xml block is not well-formed: ${first.message}. Fix: correct the markup, or fence the block with another language if it is not meant to be XML.`,
      target: `block:${first.code}`,
    },
  ];
}

/** Rule 5 with `xml.prose`: each unbalanced XML-like tag written in prose. */
export function unbalancedProseTags(
  path: string,
  problems: readonly XmlProblem[],
  position: (offset: number) => Position,
): RawFinding[] {
  return problems.map((problem) => ({
    ruleId: "xml-malformed",
    path,
    ...position(problem.offset),
    message: `XML-like tag in prose is unbalanced: ${problem.message}. Fix: close or remove the tag, or put it in \`code\`.`,
    target: `prose:${problem.code}`,
  }));
}
