import type { XmlElement } from "./xml.js";

/** A path found in XML text or an attribute value, at an offset of the scanned text. */
export interface ReferenceCandidate {
  target: string;
  offset: number;
  /** True when the element/attribute it came from is a dependency tag. */
  dependency: boolean;
}

/** Decides whether a reference from an element's text or attribute is a dependency edge. */
export interface DependencyMatcher {
  text(element: string): boolean;
  attribute(element: string, attribute: string): boolean;
}

/** Compiles `tag`, `tag@attribute` and `*@attribute` specs. */
export function dependencyMatcher(specs: readonly string[]): DependencyMatcher {
  const texts = new Set<string>();
  const attributes = new Set<string>();
  for (const spec of specs) {
    const at = spec.indexOf("@");
    if (at < 0) texts.add(spec);
    else attributes.add(spec);
  }
  return {
    text: (element) => texts.has(element),
    attribute: (element, attribute) => attributes.has(`${element}@${attribute}`) || attributes.has(`*@${attribute}`),
  };
}

/**
 * Paths to framework files carried by XML elements: words in each element's own text and in its
 * attribute values that end in one of `extensions` (an optional `#anchor` aside).
 */
export function elementReferences(
  elements: readonly XmlElement[],
  options: { extensions: readonly string[]; dependencies: DependencyMatcher; skipIncludes: boolean },
): ReferenceCandidate[] {
  const found: ReferenceCandidate[] = [];
  const needles = options.extensions.map((extension) => extension.toLowerCase());
  const add = (text: string, offset: number, dependency: boolean) => {
    // Most XML text names no file: skip the word scan unless an extension occurs at all.
    const lower = text.toLowerCase();
    if (!needles.some((needle) => lower.includes(needle))) return;
    for (const candidate of pathWords(text, offset, options.extensions)) {
      if (options.skipIncludes && candidate.target.startsWith("@")) continue;
      found.push({ ...candidate, dependency });
    }
  };
  for (const element of elements) {
    const inText = options.dependencies.text(element.name);
    for (const piece of element.text) add(piece.text, piece.offset, inText);
    for (const attribute of element.attributes) {
      add(attribute.value, attribute.offset, options.dependencies.attribute(element.name, attribute.name));
    }
  }
  return found;
}

/**
 * Path-like words ending in one of `extensions`. Placeholders and patterns are not paths: a word
 * with `[ ] { } * $ < >`, an ellipsis or a URL scheme is skipped; surrounding punctuation and
 * Markdown emphasis are trimmed.
 */
export function pathWords(
  text: string,
  offset: number,
  extensions: readonly string[],
): { target: string; offset: number }[] {
  const words: { target: string; offset: number }[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    if (PLACEHOLDER.test(word) || word.includes("://")) continue;
    const lead = LEADING.exec(word)?.[0].length ?? 0;
    const target = word.slice(lead).replace(TRAILING, "");
    if (hasExtension(target, extensions)) words.push({ target, offset: offset + (match.index ?? 0) + lead });
  }
  return words;
}

/** True when the path part (before `#` or `?`) has a file name ending in one of `extensions`. */
export function hasExtension(target: string, extensions: readonly string[]): boolean {
  const path = stripSuffix(target);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || !/[\w-]/.test(name[dot - 1] ?? "")) return false;
  const extension = name.slice(dot).toLowerCase();
  return extensions.some((candidate) => candidate.toLowerCase() === extension);
}

/** The path without its `#fragment` or `?query`. */
export function stripSuffix(target: string): string {
  const cut = target.search(/[#?]/);
  return cut < 0 ? target : target.slice(0, cut);
}

// --- internal ---

const WORD = /[^\s"'()<>=,;|`]+/g;
const PLACEHOLDER = /[[\]{}*$]|\.\.\.|…/;
const LEADING = /^[_:!]+/;
const TRAILING = /[.:;!?_]+$/;
