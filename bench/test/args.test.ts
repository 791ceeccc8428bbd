import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBenchArgs } from "../src/args.ts";

test("--server-node-args splits into the server's Node flags", () => {
  const args = parseBenchArgs(["--server-node-args=--trace-gc-nvp  --max-semi-space-size=16"]);
  assert.deepEqual(args?.serverNodeArgs, ["--trace-gc-nvp", "--max-semi-space-size=16"]);
  assert.deepEqual(parseBenchArgs([])?.serverNodeArgs, []);
});

test("--procs is remembered as given, so the default can follow the client count", () => {
  assert.equal(parseBenchArgs([])?.procsGiven, false);
  const given = parseBenchArgs(["--procs", "3"]);
  assert.equal(given?.procs, 3);
  assert.equal(given?.procsGiven, true);
});
