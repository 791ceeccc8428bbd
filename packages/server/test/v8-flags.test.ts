import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const flagsModule = new URL("../src/v8-flags.ts", import.meta.url).href;

/**
 * A program whose allocation sites V8 pretenures: every object it makes survives. V8 prints its
 * decisions with --trace-pretenuring-statistics ("... => tenure").
 */
const survivors = `
  function make(i) { return { a: i, b: [i, i], c: { d: i } }; }
  function batch(keep, n) { for (let i = 0; i < n; i++) keep.push(make(i)); }
  const keep = [];
  for (let r = 0; r < 100; r++) { batch(keep, 10_000); await new Promise((r) => setImmediate(r)); }
`;

async function tenureDecisions(importFlags: boolean): Promise<number> {
  const program = (importFlags ? `await import(${JSON.stringify(flagsModule)});` : "") + survivors;
  const { stdout } = await run(
    process.execPath,
    // Interpreted and baseline code only: optimized code may stop leaving the mementos V8's
    // decision needs, depending on when it is compiled, and the control would be a coin toss.
    [
      "--no-opt",
      "--no-maglev",
      "--trace-pretenuring-statistics",
      "--input-type=module",
      "-e",
      program,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout.split("\n").filter((line) => line.includes("=> tenure")).length;
}

it("turns off V8's allocation-site pretenuring for the process that imports it", async () => {
  // The control shows the program does get sites pretenured, so that zero below means something.
  assert.ok((await tenureDecisions(false)) > 0, "the control run pretenures no site");
  assert.equal(await tenureDecisions(true), 0);
});

it("is the server entry point's first import, before any module allocates", async () => {
  const main = await readFile(new URL("../src/main.ts", import.meta.url), "utf8");
  const firstImport = /^import\s+[^;]*;/m.exec(main)?.[0];
  assert.equal(firstImport, 'import "./v8-flags.ts";');
});
