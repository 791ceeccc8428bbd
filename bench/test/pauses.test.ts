import assert from "node:assert/strict";
import { test } from "node:test";
import { describePauses, parsePauses, pausesBetween } from "../src/pauses.ts";

/** Two scrapes of a server's /metrics, as prom-client writes them (other metrics left out). */
const before = `# HELP nodejs_gc_duration_seconds Garbage collection duration by kind.
# TYPE nodejs_gc_duration_seconds histogram
nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 10
nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} 18
nodejs_gc_duration_seconds_bucket{le="0.1",kind="minor"} 20
nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 20
nodejs_gc_duration_seconds_sum{kind="minor"} 0.05
nodejs_gc_duration_seconds_count{kind="minor"} 20
nodejs_gc_duration_seconds_bucket{le="0.01",kind="major"} 1
nodejs_gc_duration_seconds_bucket{le="0.1",kind="major"} 1
nodejs_gc_duration_seconds_sum{kind="major"} 0.004
nodejs_gc_duration_seconds_count{kind="major"} 1
nodejs_eventloop_lag_p99_seconds 0.0105
nodejs_eventloop_lag_max_seconds 0.2
`;
const after = before
  .replace('le="0.01",kind="minor"} 18', 'le="0.01",kind="minor"} 30')
  .replace('le="0.1",kind="minor"} 20', 'le="0.1",kind="minor"} 35')
  .replace('le="+Inf",kind="minor"} 20', 'le="+Inf",kind="minor"} 35')
  .replace('sum{kind="minor"} 0.05', 'sum{kind="minor"} 0.25')
  .replace('count{kind="minor"} 20', 'count{kind="minor"} 35')
  .replace('le="0.1",kind="major"} 1', 'le="0.1",kind="major"} 2')
  .replace('sum{kind="major"} 0.004', 'sum{kind="major"} 0.134')
  .replace('count{kind="major"} 1', 'count{kind="major"} 3')
  .replace("lag_p99_seconds 0.0105", "lag_p99_seconds 0.021")
  .replace("lag_max_seconds 0.2", "lag_max_seconds 0.123");

test("the window's GC pauses: counts subtract, the long ones come from the histogram's buckets", () => {
  const p = pausesBetween(parsePauses(before), parsePauses(after));
  assert.deepEqual(p.gc.minor, { count: 15, seconds: 0.2, over10ms: 3, over100ms: 0 });
  assert.equal(p.gc.major?.count, 2);
  assert.equal(p.gc.major?.over10ms, 2);
  assert.equal(p.gc.major?.over100ms, 1);
  assert.ok(Math.abs((p.gc.major?.seconds ?? 0) - 0.13) < 1e-9);
});

test("the loop delay is the later scrape's, past the 10 ms sampling interval", () => {
  const p = pausesBetween(parsePauses(before), parsePauses(after));
  assert.ok(Math.abs(p.loopDelayMs.p99 - 11) < 1e-9);
  assert.ok(Math.abs(p.loopDelayMs.max - 113) < 1e-9);
  assert.equal(parsePauses(before).loopDelayMs.p99, 0.5);
  assert.match(
    describePauses(p),
    /minor 15 \(0\.20 s, 3 over 10 ms\), major 2 \(0\.13 s, 2 over 10 ms, 1 over 100 ms\); event loop delay p99 11 ms, max 113 ms/,
  );
});
