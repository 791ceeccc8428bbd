import assert from "node:assert/strict";
import { test } from "node:test";
import { timeOrderedId } from "../src/ids.ts";

test("time-ordered ids sort by the millisecond they were made in", () => {
  const earlier = timeOrderedId(1_790_000_000_000);
  const later = timeOrderedId(1_790_000_000_001);
  assert.ok(earlier < later, `${earlier} < ${later}`);
  // Padded: a time with fewer hex digits still sorts first.
  assert.ok(timeOrderedId(0xfff) < timeOrderedId(0x1000));
  assert.equal(earlier.slice(0, 12), (1_790_000_000_000).toString(16).padStart(12, "0"));
});

test("time-ordered ids are 32 hex characters and unique within one millisecond", () => {
  const now = Date.now();
  const ids = Array.from({ length: 10_000 }, () => timeOrderedId(now));
  for (const id of ids.slice(0, 10)) assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(new Set(ids).size, ids.length);
});

test("without crypto.getRandomValues, time-ordered ids still come out as 32 hex characters, unique", () => {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
  try {
    // Enough ids to empty the random pool several times over, so it is refilled without crypto.
    const now = Date.now();
    const ids = Array.from({ length: 2_000 }, () => timeOrderedId(now));
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
  } finally {
    if (descriptor) Object.defineProperty(globalThis, "crypto", descriptor);
  }
});
