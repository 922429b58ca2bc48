import ignore, { type Ignore } from "ignore";

/**
 * The `.gitignore` files met while walking a repository, as git reads them: each file's patterns
 * are relative to its folder, and a deeper file has the last word (its `!pattern` re-includes what
 * a parent ignored). Pure: the walk reads the files and hands their text here.
 */
export class GitignoreRules {
  private constructor(private readonly levels: readonly { folder: string; rules: Ignore }[]) {}

  /** No rules yet. */
  static none(): GitignoreRules {
    return new GitignoreRules([]);
  }

  /** These rules plus the `.gitignore` of `folder` (repository-relative, "" for the root). */
  with(folder: string, text: string): GitignoreRules {
    return new GitignoreRules([...this.levels, { folder, rules: ignore().add(text) }]);
  }

  /** Whether git would ignore the repository-relative `file` (a folder when `isFolder`). */
  ignores(file: string, isFolder: boolean): boolean {
    let ignored = false;
    for (const level of this.levels) {
      const inside = level.folder === "" ? file : file.slice(level.folder.length + 1);
      const verdict = level.rules.test(isFolder ? `${inside}/` : inside);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  }
}
