import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEpisodes, findEpisodes } from "../src/episodes.ts";

/** `count` samples sent evenly over [fromMs, toMs), each with the round trip `latencyMs(i)`. */
function samples(fromMs: number, toMs: number, count: number, latencyMs: (i: number) => number) {
  const latencies = new Uint32Array(count);
  const sentUs = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    sentUs[i] = Math.round((fromMs + ((toMs - fromMs) * i) / count) * 1000);
    latencies[i] = Math.round(latencyMs(i) * 1000);
  }
  return { latencies, sentUs };
}

test("an even spread of slow round trips makes no episode", () => {
  // One in ten is 80 ms, everywhere: the medians stay at 5 ms.
  const e = findEpisodes([samples(0, 2000, 2000, (i) => (i % 10 === 0 ? 80 : 5))]);
  assert.equal(e.windows, 20);
  assert.equal(e.slowWindows, 0);
  assert.equal(e.overSlow, 200);
  assert.equal(e.overSlowInSlowWindows, 0);
});

test("a stretch of slow round trips is one episode, found where it was sent", () => {
  const e = findEpisodes([samples(0, 2000, 2000, (i) => (i >= 1200 && i < 1400 ? 120 : 5))]);
  assert.equal(e.slowWindows, 2);
  assert.equal(e.overSlow, 200);
  assert.equal(e.overSlowInSlowWindows, 200);
  assert.deepEqual(e.worst, { atS: 1.2, medianMs: 120 });
  assert.match(
    describeEpisodes(e),
    /^2 of 20 windows of 100 ms had a median over 50 ms, holding 100%/,
  );
});

test("the workers' samples are merged by send time", () => {
  // Alone, worker a's window is fast (40% slow) and b's slow (70%); together, 55% are slow.
  const a = samples(0, 100, 100, (i) => (i < 60 ? 5 : 90));
  const b = samples(0, 100, 100, (i) => (i < 30 ? 5 : 90));
  assert.equal(findEpisodes([a]).slowWindows, 0);
  assert.equal(findEpisodes([a, b]).slowWindows, 1);
  // Sent a window later, b's samples do not count in a's window.
  const bLater = samples(100, 200, 100, (i) => (i < 30 ? 5 : 90));
  const apart = findEpisodes([a, bLater]);
  assert.equal(apart.windows, 2);
  assert.equal(apart.slowWindows, 1);
  assert.equal(apart.worst?.atS, 0.1);
});
