import assert from "node:assert/strict";
import { test } from "node:test";
import { SeqSet } from "../src/seq-set.ts";

test("each seq is new once, across bytes and past the initial size", () => {
  const seen = new SeqSet();
  // 1..5,000 grows the bitset several times; every seq shares its byte with seven others.
  for (let seq = 1; seq <= 5000; seq++) assert.equal(seen.add(seq), true, `seq ${seq}`);
  for (let seq = 1; seq <= 5000; seq++) assert.equal(seen.add(seq), false, `seq ${seq} again`);
  assert.equal(seen.has(0), false);
  assert.equal(seen.has(5001), false);
  assert.equal(seen.has(1_000_000), false);
});

test("seqs far apart and out of order are kept apart", () => {
  const seen = new SeqSet();
  assert.equal(seen.add(70_001), true);
  assert.equal(seen.add(3), true);
  assert.equal(seen.has(70_000), false);
  assert.equal(seen.has(70_002), false);
  assert.equal(seen.has(2), false);
  assert.equal(seen.has(70_001), true);
  assert.equal(seen.add(70_001), false);
});

test("a seq that is not a non-negative integer is refused", () => {
  const seen = new SeqSet();
  assert.throws(() => seen.add(-1), RangeError);
  assert.throws(() => seen.add(1.5), RangeError);
});
