import assert from "node:assert/strict";
import { test } from "node:test";
import { generatorProcs } from "../src/workers.ts";

test("one generator process per 10,000 clients unless --procs is given", () => {
  const auto = { procs: 1, procsGiven: false };
  assert.equal(generatorProcs(auto, 2_000), 1);
  assert.equal(generatorProcs(auto, 10_000), 1);
  assert.equal(generatorProcs(auto, 10_001), 2);
  assert.equal(generatorProcs(auto, 20_000), 2);
});

test("--procs wins, but never more processes than clients", () => {
  assert.equal(generatorProcs({ procs: 3, procsGiven: true }, 2_000), 3);
  assert.equal(generatorProcs({ procs: 4, procsGiven: true }, 2), 2);
});
