import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { it } from "node:test";
import { SqlitePushStore } from "../../src/push/push-store.sqlite.ts";
import type { PushSubscriptionRecord } from "../../src/push/push-store.ts";
import { type CachedPushStore, withSubscriptionCache } from "../../src/push/subscription-cache.ts";

const sub = (userId: string, deviceId: string): PushSubscriptionRecord => ({
  kind: "expo",
  userId,
  deviceId,
  address: `ExponentPushToken[${deviceId}]`,
  createdAt: 1,
});

/** A SQLite push store behind the cache (TTL 10 s), on a clock the test moves. */
async function withCache(
  fn: (cached: CachedPushStore, raw: SqlitePushStore, clock: { now: number }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "courier-subcache-"));
  const raw = SqlitePushStore.open({ dataDir: dir });
  const clock = { now: 1_000 };
  const cached = withSubscriptionCache(raw, 10_000, () => clock.now);
  try {
    await fn(cached, raw, clock);
  } finally {
    await cached.close();
    await rm(dir, { recursive: true, force: true });
  }
}

it("caches subscriptions per user: own changes show at once, another node's after the TTL", () =>
  withCache(async (cached, raw, clock) => {
    assert.deepEqual(await cached.subscriptionsOf(["u1", "u2"]), []);
    await cached.putSubscription(sub("u1", "d1"));
    assert.deepEqual(
      (await cached.subscriptionsOf(["u1", "u2"])).map((s) => s.deviceId),
      ["d1"],
    );

    // Written behind the cache's back, as another node would: invisible until the entry expires.
    await raw.putSubscription(sub("u2", "d2"));
    assert.deepEqual(
      (await cached.subscriptionsOf(["u2"])).map((s) => s.deviceId),
      [],
    );
    clock.now += 10_001;
    assert.deepEqual(
      (await cached.subscriptionsOf(["u2"])).map((s) => s.deviceId),
      ["d2"],
    );

    assert.equal(await cached.removeSubscription("d1"), true);
    assert.deepEqual(await cached.subscriptionsOf(["u1"]), []);
    // Everything else passes through to the store.
    await cached.setPrivacy("u1", "none");
    assert.equal((await cached.privacyOf(["u1"])).get("u1"), "none");
  }));

it("knows from memory alone when nobody but the sender is subscribed, and only then", () =>
  withCache(async (cached, _raw, clock) => {
    // Nothing cached: it cannot know.
    assert.equal(cached.knownUnsubscribed(["u1", "u2"], "u1"), false);
    assert.deepEqual(await cached.subscriptionsOf(["u2"]), []);
    // u2 is known to have none; the sender u1 does not count.
    assert.equal(cached.knownUnsubscribed(["u1", "u2"], "u1"), true);
    // The other way round u1 is a recipient, and nothing is cached for u1.
    assert.equal(cached.knownUnsubscribed(["u1", "u2"], "u2"), false);
    // A subscription through this store drops the entry at once.
    await cached.putSubscription(sub("u2", "d2"));
    assert.equal(cached.knownUnsubscribed(["u1", "u2"], "u1"), false);
    // Cached again, now holding the subscription.
    assert.equal((await cached.subscriptionsOf(["u2"])).length, 1);
    assert.equal(cached.knownUnsubscribed(["u1", "u2"], "u1"), false);
    // A cached "none" expires with the TTL.
    assert.deepEqual(await cached.subscriptionsOf(["u3"]), []);
    assert.equal(cached.knownUnsubscribed(["u3"], "u1"), true);
    clock.now += 10_000;
    assert.equal(cached.knownUnsubscribed(["u3"], "u1"), false);
  }));
