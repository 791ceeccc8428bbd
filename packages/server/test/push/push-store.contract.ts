import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type {
  PushStore,
  PushSubscriptionRecord,
  WebSubscriptionRecord,
} from "../../src/push/push-store.ts";

export interface PushStoreHarness {
  store: PushStore;
  /** Closes the store and removes what the harness created. */
  dispose(): Promise<void>;
}

let n = 0;
/** Ids unique within the run, so that tests sharing one store never see each other's rows. */
const id = (prefix: string) => `${prefix}_${process.pid}_${++n}`;

function web(userId: string, deviceId: string, address = `https://push.test/${id("ep")}`) {
  return {
    kind: "web",
    deviceId,
    userId,
    address,
    p256dh: "BP".padEnd(87, "x"),
    auth: "a".repeat(22),
    createdAt: 1_700_000_000_000,
  } satisfies WebSubscriptionRecord;
}

/**
 * The one contract every PushStore passes (see the doc comment of `PushStore`), run against
 * SQLite and PostgreSQL by push-store.test.ts.
 */
export function pushStoreContract(
  name: string,
  open: () => Promise<PushStoreHarness>,
  options: { skip?: string | false } = {},
): void {
  describe(`push store contract: ${name}`, { skip: options.skip ?? false }, () => {
    let harness: PushStoreHarness;
    let store: PushStore;
    before(async () => {
      harness = await open();
      store = harness.store;
    });
    after(() => harness?.dispose());

    it("stores one subscription per device and replaces it", async () => {
      const user = id("u");
      const device = id("d");
      await store.putSubscription(web(user, device, "https://push.test/first"));
      await store.putSubscription(web(user, device, "https://push.test/second"));
      const subs = await store.subscriptionsOf([user]);
      assert.equal(subs.length, 1);
      assert.equal(subs[0]?.address, "https://push.test/second");
      assert.deepEqual(await store.subscriptionOf(device), subs[0]);
    });

    it("keeps web keys and expo tokens apart and round-trips every field", async () => {
      const user = id("u");
      const w = web(user, id("d"));
      const e: PushSubscriptionRecord = {
        kind: "expo",
        deviceId: id("d"),
        userId: user,
        address: `ExponentPushToken[${id("t")}]`,
        createdAt: 1_700_000_000_123,
      };
      await store.putSubscription(w);
      await store.putSubscription(e);
      assert.deepEqual(await store.subscriptionOf(w.deviceId), w);
      assert.deepEqual(await store.subscriptionOf(e.deviceId), e);
    });

    it("moves an address to the device that registers it last", async () => {
      const user = id("u");
      const [d1, d2] = [id("d"), id("d")];
      const address = `https://push.test/${id("shared")}`;
      await store.putSubscription(web(user, d1, address));
      await store.putSubscription(web(user, d2, address));
      assert.equal(await store.subscriptionOf(d1), undefined);
      assert.equal((await store.subscriptionOf(d2))?.address, address);
    });

    it("lists subscriptions of several users, ordered by user then device", async () => {
      const [u1, u2, u3] = [`a_${id("u")}`, `b_${id("u")}`, `c_${id("u")}`];
      await store.putSubscription(web(u2, `${u2}_d2`));
      await store.putSubscription(web(u1, `${u1}_d1`));
      await store.putSubscription(web(u2, `${u2}_d1`));
      await store.putSubscription(web(u3, `${u3}_d1`));
      const subs = await store.subscriptionsOf([u2, u1, "nobody"]);
      assert.deepEqual(
        subs.map((s) => s.deviceId),
        [`${u1}_d1`, `${u2}_d1`, `${u2}_d2`],
      );
      assert.deepEqual(await store.subscriptionsOf([]), []);
    });

    it("removes by device and by address, reporting whether it did", async () => {
      const user = id("u");
      const a = web(user, id("d"));
      const b = web(user, id("d"));
      await store.putSubscription(a);
      await store.putSubscription(b);
      assert.equal(await store.removeSubscription(a.deviceId), true);
      assert.equal(await store.removeSubscription(a.deviceId), false);
      assert.equal(await store.removeAddress(b.address), true);
      assert.equal(await store.removeAddress(b.address), false);
      assert.deepEqual(await store.subscriptionsOf([user]), []);
    });

    it("keeps the privacy level a user chose, and nothing for those who did not", async () => {
      const [u1, u2] = [id("u"), id("u")];
      await store.setPrivacy(u1, "sender");
      await store.setPrivacy(u1, "none");
      const levels = await store.privacyOf([u1, u2]);
      assert.equal(levels.get(u1), "none");
      assert.equal(levels.has(u2), false);
      assert.equal((await store.privacyOf([])).size, 0);
    });

    it("mutes for good or until a time, per conversation, and unmutes", async () => {
      const [u1, u2, u3] = [id("u"), id("u"), id("u")];
      const conv = id("c");
      const now = 1_800_000_000_000;
      await store.mute(u1, conv, null);
      await store.mute(u2, conv, now + 1000);
      await store.mute(u3, conv, now - 1); // already expired
      await store.mute(u1, id("c"), null); // another conversation
      assert.deepEqual(
        [...(await store.mutedAmong(conv, [u1, u2, u3, "nobody"], now))].sort(),
        [u1, u2].sort(),
      );
      assert.deepEqual([...(await store.mutedAmong(conv, [u2], now + 1000))], []);
      assert.deepEqual(await store.mutesOf(u2, now), [{ conversationId: conv, until: now + 1000 }]);
      assert.equal((await store.mutesOf(u1, now)).length, 2);
      assert.equal(await store.unmute(u1, conv), true);
      assert.equal(await store.unmute(u1, conv), false);
      assert.deepEqual([...(await store.mutedAmong(conv, [u1], now))], []);
      await store.mute(u2, conv, null); // a later mute replaces the timed one
      assert.deepEqual(await store.mutesOf(u2, now + 5000), [
        { conversationId: conv, until: null },
      ]);
    });

    it("keeps the first VAPID key pair it is given", async () => {
      const first = await store.vapidKeys({ publicKey: "pub1", privateKey: "priv1" });
      const second = await store.vapidKeys({ publicKey: "pub2", privateKey: "priv2" });
      assert.deepEqual(second, first);
    });

    it("answers concurrent first calls with one VAPID pair", async () => {
      const pairs = await Promise.all(
        [1, 2, 3].map((i) => store.vapidKeys({ publicKey: `p${i}`, privateKey: `k${i}` })),
      );
      assert.equal(new Set(pairs.map((p) => p.publicKey)).size, 1);
    });
  });
}
