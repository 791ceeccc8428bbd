import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { it } from "node:test";
import pino from "pino";
import { Registry } from "prom-client";
import { createPushMetrics } from "../../src/push/metrics.ts";
import { SqlitePushStore } from "../../src/push/push-store.sqlite.ts";
import type { PushStore } from "../../src/push/push-store.ts";
import { PushService } from "../../src/push/service.ts";
import { withSubscriptionCache } from "../../src/push/subscription-cache.ts";
import { SqliteStore } from "../../src/store/store.sqlite.ts";
import type { StoredMessage } from "../../src/store/store.ts";
import { testDispatcher } from "./support/dispatcher.ts";

const message = (seq: number): StoredMessage => ({
  conversationId: "d:ua:ub",
  id: `m${seq}`,
  seq,
  senderId: "ua",
  senderDeviceId: "da",
  cid: `c${seq}`,
  ts: seq,
  content: { type: "text", text: `m${seq}` },
});

it("decides from the subscription cache, with no lookup, that a message wakes nobody", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "courier-push-service-"));
  const cached = withSubscriptionCache(SqlitePushStore.open({ dataDir: dir }), 10_000);
  const store = await SqliteStore.open({ dataDir: dir });
  let lookups = 0;
  // Counts what the service asks the push store for; everything passes through.
  const counted = new Proxy<PushStore>(cached, {
    get(target, property) {
      if (property === "subscriptionsOf") lookups++;
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const log = pino({ level: "silent" });
  // Never reached: the subscribed device is online, so nothing is sent.
  const dispatcher = testDispatcher({ senders: {} });
  const service = new PushService({
    pushStore: counted,
    knownUnsubscribed: (userIds, except) => cached.knownUnsubscribed(userIds, except),
    store,
    connectedDevices: async () => new Set(["db"]),
    dispatcher,
    metrics: createPushMetrics(new Registry(), () => 0),
    log,
    defaultPrivacy: "full",
    coalesceMs: 10,
    maxIntake: 100,
    maxPending: 100,
    concurrency: 1,
  });
  const idle = async () => {
    while (service.depth > 0) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    // Nothing cached about ub yet: the first message is examined, which caches "none".
    service.onStored(message(1), ["ua", "ub"]);
    await idle();
    assert.equal(lookups, 1);
    // Now the cache answers on the spot: no intake, no lookup.
    for (let seq = 2; seq <= 5; seq++) {
      service.onStored(message(seq), ["ua", "ub"]);
      assert.equal(service.depth, 0, "the message never entered the intake");
    }
    await idle();
    assert.equal(lookups, 1);
    // A subscription drops ub's entry: the next message is examined again.
    await cached.putSubscription({
      kind: "expo",
      userId: "ub",
      deviceId: "db",
      address: "ExponentPushToken[db]",
      createdAt: 1,
    });
    service.onStored(message(6), ["ua", "ub"]);
    await idle();
    assert.equal(lookups, 2);
  } finally {
    service.close();
    dispatcher.close();
    await store.close();
    await cached.close();
    await rm(dir, { recursive: true, force: true });
  }
});
