import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPlainRevision } from "../src/git-revision.js";
import { insideRelative } from "../src/paths.js";

describe("insideRelative", () => {
  it("names a file inside the root, even one whose name starts with two dots, and nothing outside it", () => {
    const root = path.join(path.sep, "repo");
    expect(insideRelative(root, path.join(root, "..docker", "Dockerfile"))).toBe("..docker/Dockerfile");
    expect(insideRelative(root, path.join(root, "src", "a.ts"))).toBe("src/a.ts");
    expect(insideRelative(root, root)).toBeUndefined();
    expect(insideRelative(root, path.join(root, "..", "other"))).toBeUndefined();
    expect(insideRelative(root, path.dirname(root))).toBeUndefined();
  });
});

describe("isPlainRevision", () => {
  it("takes SHAs and ref names, never what git could read as an option or a range", () => {
    for (const ref of ["main", "origin/main", "4f2a9c1e", "v1.2.3", "HEAD~2", "release/1.2"])
      expect(isPlainRevision(ref), ref).toBe(true);
    for (const ref of ["--output=/tmp/x", "-p", "a..b", "a b", "", "main\nHEAD"])
      expect(isPlainRevision(ref), ref).toBe(false);
  });
});
