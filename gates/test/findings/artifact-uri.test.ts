import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { artifactUri } from "../../src/findings/artifact-uri.js";

describe("artifactUri", () => {
  it("encodes what a reader would take for a fragment, a query or a scheme", () => {
    expect(artifactUri("samples/C#/Program.cs")).toBe("samples/C%23/Program.cs");
    expect(artifactUri("docs/why?.md")).toBe("docs/why%3F.md");
    expect(artifactUri("note:1.md")).toBe("note%3A1.md");
    expect(artifactUri("docs/my file 100%.md")).toBe("docs/my%20file%20100%25.md");
    expect(new URL(artifactUri("samples/C#/Program.cs"), "file:///repo/").pathname).toBe(
      "/repo/samples/C%23/Program.cs",
    );
  });

  it("writes a lone surrogate, which JSON and Windows file names allow, as U+FFFD", () => {
    expect(artifactUri("a\ud800.md")).toBe("a%EF%BF%BD.md");
  });

  it("gives back the path when decoded, for any path without a lone surrogate", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (path) => {
        const uri = artifactUri(path);
        expect(uri).not.toMatch(/[#?:\s]/);
        expect(decodeURIComponent(uri)).toBe(path);
      }),
    );
  });
});
