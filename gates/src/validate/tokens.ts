import type * as Tokenizer from "@anthropic-ai/tokenizer";

type Encoder = ReturnType<typeof Tokenizer.getTokenizer>;

/** `anthropic`: @anthropic-ai/tokenizer (offline, an approximation for current Claude models); `chars_div_4`: characters / 4. */
export type TokenCounterKind = "anthropic" | "chars_div_4";

/**
 * Counts tokens with one reused encoder: the library's `countTokens()` builds a new encoder on
 * every call (~300 ms each), which is minutes on a large tree. Call `dispose()` when done.
 */
export interface TokenCounter {
  readonly kind: TokenCounterKind;
  count(text: string): Promise<number>;
  /**
   * True when `text` may exceed `budget`. A token covers at least one UTF-8 byte of the normalised
   * text, so a text of at most `budget` bytes cannot exceed it and is not tokenised.
   */
  mayExceed(text: string, budget: number): boolean;
  dispose(): void;
}

/** A counter of the given kind; the Claude encoder is loaded on first use only. */
export function createTokenCounter(kind: TokenCounterKind): TokenCounter {
  if (kind === "chars_div_4") {
    return {
      kind,
      count: (text) => Promise.resolve(Math.ceil(text.length / 4)),
      mayExceed: (text, budget) => Math.ceil(text.length / 4) > budget,
      dispose: () => undefined,
    };
  }
  let encoder: Promise<Encoder> | undefined;
  let loaded: Encoder | undefined;
  return {
    kind,
    async count(text) {
      encoder ??= import("@anthropic-ai/tokenizer").then(({ getTokenizer }) => {
        loaded = getTokenizer();
        return loaded;
      });
      // The same normalisation and special-token handling as the library's countTokens().
      return (await encoder).encode(text.normalize("NFKC"), "all").length;
    },
    mayExceed: (text, budget) => normalisedByteLength(text) > budget,
    dispose() {
      loaded?.free();
      loaded = undefined;
      encoder = undefined;
    },
  };
}

/** UTF-8 length of the NFKC form (which the tokenizer encodes); ASCII needs no normalising. */
export function normalisedByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return utf8Length(text.normalize("NFKC"));
    bytes += 1;
  }
  return bytes;
}

// --- internal ---

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one code point of four bytes.
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
