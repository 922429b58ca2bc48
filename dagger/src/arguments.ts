/**
 * What the functions' shared arguments default to, declared once. index.ts names these in each
 * signature, `@argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })` and
 * `env: string = DEFAULT_ENV`, and the SDK's introspector registers their values.
 *
 * Kept to the form that introspector resolves (sdk/typescript/src/module/introspector/
 * typescript_module/ast.ts, resolveDecoratorArgumentValue and resolveParameterDefaultValue, branch
 * backport-0.21): each value an identifier whose declaration is initialised with a string or array
 * literal. A whole options object (`@argument(SOURCE)`), a spread, a property access
 * (`SOURCE.ignore`) or an `as const` array is not resolved: the argument silently loses its default
 * path and becomes required. dagger/test/arguments.test.ts runs the introspector over each form.
 */

/** The node image the `portcullis` CLI is built and run in (the repository needs node >= 20.19). */
export const NODE_IMAGE = "node:22.14.0-bookworm-slim";

/** Where a directory argument loads from when the caller gives none: the root of the caller's context (its git checkout). */
export const SOURCE_PATH = "/";

/** What a scanned tree leaves out: the git history (secretsHistory scans it) and installed dependencies. */
export const SOURCE_IGNORE = [".git", "**/node_modules"];

/** What a checkout leaves out: installed dependencies only; it keeps `.git` (the history scan, the deploy state ref). */
export const CHECKOUT_IGNORE = ["**/node_modules"];

/** The environment whose policy judges when none is given. */
export const DEFAULT_ENV = "development";

/** The environment whose policy `fix` judges by, before and after, when none is given. */
export const FIX_ENV = "production";

/** The k6 scenario a load test runs when none is given. */
export const DEFAULT_SCENARIO = "smoke";
