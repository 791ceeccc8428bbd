import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "../src/backoff.ts";
import { defaultRetryPolicy } from "../src/retry.ts";

describe("Backoff (full jitter)", () => {
  it("draws each delay uniformly from [0, min(max, min * 2^attempt))", () => {
    let r = 0.999999;
    const backoff = new Backoff({ minMs: 100, maxMs: 1000, random: () => r });
    const highest = Array.from({ length: 6 }, () => backoff.next());
    assert.deepEqual(highest, [99, 199, 399, 799, 999, 999]);
    r = 0;
    assert.equal(backoff.next(), 0, "full jitter reaches down to zero");
    r = 0.5;
    assert.equal(backoff.next(), 500);
  });

  it("stays inside the window with real randomness", () => {
    const backoff = new Backoff({ minMs: 50, maxMs: 400 });
    for (let attempt = 0; attempt < 50; attempt++) {
      const cap = Math.min(400, 50 * 2 ** attempt);
      const delay = backoff.next();
      assert.ok(delay >= 0 && delay < cap, `attempt ${attempt}: ${delay} not in [0, ${cap})`);
    }
  });

  it("starts over from the smallest window after reset", () => {
    const backoff = new Backoff({ minMs: 100, maxMs: 10_000, random: () => 0.999999 });
    for (let i = 0; i < 5; i++) backoff.next();
    assert.equal(backoff.attempt, 5);
    backoff.reset();
    assert.equal(backoff.attempt, 0);
    assert.equal(backoff.next(), 99);
  });

  it("does not overflow after very many attempts", () => {
    const backoff = new Backoff({ minMs: 1, maxMs: 5000, random: () => 0.999999 });
    for (let i = 0; i < 2000; i++) backoff.next();
    assert.equal(backoff.next(), 4999);
  });
});

describe("defaultRetryPolicy", () => {
  it("retries unavailable and rate_limited with growing delays, then gives up", () => {
    const policy = defaultRetryPolicy({ maxAttempts: 4, baseMs: 100, maxMs: 250, random: () => 1 });
    assert.deepEqual(
      [1, 2, 3].map((n) => policy.retryAfter("unavailable", n)),
      [100, 200, 250],
    );
    assert.equal(policy.retryAfter("rate_limited", 1), 100);
    assert.equal(policy.retryAfter("unavailable", 4), undefined, "capped");
  });

  it("never retries permanent errors", () => {
    const policy = defaultRetryPolicy();
    for (const code of ["not_member", "bad_frame", "no_such_user", "too_large", "unknown_type"]) {
      assert.equal(policy.retryAfter(code, 1), undefined, code);
    }
  });

  it("keeps at least half the window, so a retry never fires at once", () => {
    const policy = defaultRetryPolicy({ baseMs: 1000, random: () => 0 });
    assert.equal(policy.retryAfter("unavailable", 1), 500);
  });
});
