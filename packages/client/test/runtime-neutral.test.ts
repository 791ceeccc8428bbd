import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

/**
 * The SDK core must run unchanged in browsers, React Native and Node. Biome's
 * noRestrictedImports / noRestrictedGlobals (packages/client/biome.json) catch direct uses; this
 * test also catches what a lint rule on bare identifiers cannot see: `globalThis.document`,
 * dynamic `import("node:…")` and `require(...)` inside strings of code.
 */
const srcDir = path.join(import.meta.dirname, "..", "src");
const files = readdirSync(srcDir, { recursive: true, encoding: "utf8" }).filter((f) =>
  f.endsWith(".ts"),
);

const forbidden: Array<[RegExp, string]> = [
  [/from\s+["']node:/, "a node: import"],
  [/import\(\s*["']node:/, "a dynamic node: import"],
  [
    /from\s+["'](?:fs|path|os|net|http|https|crypto|stream|events|buffer|child_process)["']/,
    "a Node builtin",
  ],
  [/from\s+["']react(?:-native|-dom)?["']/, "a React import"],
  [
    /globalThis\s*\.\s*(?:window|document|navigator|localStorage|sessionStorage|indexedDB|location|process|Buffer|setImmediate)\b/,
    "a platform-only global",
  ],
  [/\brequire\s*\(/, "require()"],
];

describe("runtime neutrality of packages/client/src", () => {
  it("finds the source files", () => {
    assert.ok(files.includes("index.ts") && files.length > 10);
  });

  for (const file of files) {
    it(`${file} uses no platform-only module or global`, () => {
      const code = readFileSync(path.join(srcDir, file), "utf8")
        // Comments may talk about platforms.
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/(^|[^:])\/\/.*$/gm, "$1");
      for (const [pattern, what] of forbidden) {
        assert.doesNotMatch(code, pattern, `${file} contains ${what}`);
      }
    });
  }
});
