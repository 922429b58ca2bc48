/**
 * Command-line templates. The module cannot import the tool adapters at run time (they depend on
 * npm packages the module runtime does not install), so scripts/generate-tools.ts calls the
 * adapters' own argv builders and records what they return as templates in tools.gen.ts; a test
 * proves `fill(template, values)` equals the builder's output for the same values.
 *
 * A token is a literal (which may hold `{{name}}` placeholders) or a group: `when` groups appear
 * only when their option is set, `each` groups repeat once per item of a list.
 */
export type ArgvToken =
  | string
  | { readonly when: string; readonly argv: readonly string[] }
  | { readonly each: string; readonly argv: readonly string[] };

/** Values for a template: strings fill placeholders, `true` turns on a flag group, lists feed `each`. */
export type ArgvValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/**
 * The argv for a template. Every value must be a plain operand: not empty, not starting with `-`
 * (the tool would read it as an option), no whitespace or control characters (some tools split
 * their arguments on spaces, gitleaks' `--log-opts` among them).
 */
export function fill(template: readonly ArgvToken[], values: ArgvValues): string[] {
  return template.flatMap((token) => {
    if (typeof token === "string") return [substitute(token, values, undefined)];
    if ("each" in token) {
      const items = values[token.each];
      if (!Array.isArray(items)) throw new Error(`argv template: "${token.each}" needs a list of values`);
      return items.flatMap((item: string) => token.argv.map((part) => substitute(part, values, item)));
    }
    if (!groupIsOn(token.argv, token.when, values)) return [];
    return token.argv.map((part) => substitute(part, values, undefined));
  });
}

/** Environment variables from a template whose values may hold placeholders (checked like argv values). */
export function fillEnv(template: Readonly<Record<string, string>>, values: ArgvValues): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template).map(([name, value]) => [name, substitute(value, values, undefined)]),
  );
}

/** Throws unless `value` is a safe operand (see fill). */
export function checkOperand(name: string, value: string): string {
  if (value === "" || value.startsWith("-") || /[\s\p{Cc}]/u.test(value)) {
    throw new Error(
      `${name} ${JSON.stringify(value)} cannot be passed to a tool: it is empty, starts with "-" or holds whitespace. ` +
        "Give a plain path, reference or name (prefix a path starting with a dash with ./)",
    );
  }
  return value;
}

// --- internal ---

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

function substitute(part: string, values: ArgvValues, item: string | undefined): string {
  return part.replace(PLACEHOLDER, (_match, name: string) => {
    const value = name === "item" ? item : values[name];
    if (typeof value !== "string") throw new Error(`argv template: no value for {{${name}}}`);
    return checkOperand(name, value);
  });
}

/** A flag group (no placeholders) is on when its option is `true`; a valued one when all its values are given. */
function groupIsOn(argv: readonly string[], when: string, values: ArgvValues): boolean {
  const names = argv.flatMap((part) => [...part.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""));
  if (names.length === 0) return values[when] === true;
  return names.every((name) => typeof values[name] === "string");
}
