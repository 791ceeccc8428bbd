import assert from "node:assert/strict";
import { test } from "node:test";
import { SendTimes } from "../src/send-times.ts";

/** The times of everything still queued, in order (empties the queue). */
function drain<K extends string | number>(q: SendTimes<K>): number[] {
  const times: number[] = [];
  q.shiftWhile(
    () => true,
    (time) => times.push(time),
  );
  return times;
}

test("take finds a key at the head or further in, once", () => {
  const q = new SendTimes<string>();
  q.push("a", 1.5);
  q.push("b", 2.5);
  q.push("c", 3.5);
  assert.equal(q.take("a"), 1.5);
  assert.equal(q.take("c"), 3.5, "out of order");
  assert.equal(q.take("c"), undefined, "a key is taken once");
  assert.equal(q.take("x"), undefined);
  assert.equal(q.take("b"), 2.5);
  assert.deepEqual(drain(q), [], "nothing is left");
});

test("shiftWhile hands over the head's times while the key is covered, and stops at the first that is not", () => {
  const q = new SendTimes<number>();
  for (let seq = 1; seq <= 5; seq++) q.push(seq, seq * 10);
  const delivered: number[] = [];
  q.shiftWhile(
    (seq) => seq <= 3,
    (time) => delivered.push(time),
  );
  assert.deepEqual(delivered, [10, 20, 30]);
  q.push(6, 60);
  assert.deepEqual(drain(q), [40, 50, 60]);
});

test("a key taken from the middle leaves no gap in the order", () => {
  const q = new SendTimes<number>();
  q.push(1, 10);
  q.push(2, 20);
  q.push(3, 30);
  assert.equal(q.take(2), 20);
  assert.deepEqual(drain(q), [10, 30]);
});

test("keeps the order when it grows while wrapped around", () => {
  const q = new SendTimes<number>();
  let next = 1;
  const expected: number[] = [];
  for (; next <= 10; next++) q.push(next, next);
  q.shiftWhile(
    (seq) => seq <= 7,
    () => {},
  );
  for (let seq = 8; seq <= 10; seq++) expected.push(seq);
  // 16 slots, the head at 7: these wrap past the end, then force two doublings.
  for (; next <= 60; next++) {
    q.push(next, next);
    expected.push(next);
  }
  assert.equal(q.take(30), 30);
  assert.deepEqual(
    drain(q),
    expected.filter((seq) => seq !== 30),
  );
});
