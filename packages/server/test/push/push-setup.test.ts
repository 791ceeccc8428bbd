import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { PushSettings, ServerFrame } from "@courier/protocol";
import webpush from "web-push";
import { configFromEnv } from "../../src/config.ts";
import { setupPush } from "../../src/push/index.ts";
import { SqlitePushStore } from "../../src/push/push-store.sqlite.ts";
import type { PushStore } from "../../src/push/push-store.ts";
import { api, register } from "../support/accounts.ts";
import { RawSocket } from "../support/raw-socket.ts";
import { metric, startPushCourier } from "./support/push-courier.ts";
import { WebPushReceiver } from "./support/webpush-receiver.ts";

type Sent = Extract<ServerFrame, { t: "sent" }>;

describe("push setup and its edges", () => {
  it("defaults to content-free notifications in relay retention", async () => {
    const receiver = await WebPushReceiver.start();
    const courier = await startPushCourier({ COURIER_RETENTION: "relay" });
    try {
      receiver.expectServerKey(courier.push.vapidPublicKey);
      const a = await register(courier.url);
      const b = await register(courier.url);
      await api(
        courier.url,
        b.token,
        "POST",
        "/api/push/subscriptions",
        receiver.subscription("relay"),
      );
      const settings = (await api(courier.url, b.token, "GET", "/api/push/settings"))
        .body as PushSettings;
      assert.deepEqual([settings.privacy, settings.privacyIsDefault], ["none", true]);
      const sa = await RawSocket.authed(courier.url, a.token);
      sa.sendText({ cid: "r1", to: b.user.id, text: "private" });
      const [push] = await receiver.waitFor("relay");
      assert.equal(push?.payload.title, "Courier");
      assert.equal(push?.payload.body, "New message");
      assert.equal(push?.payload.sender, undefined);
      assert.deepEqual(receiver.errors, []);
      sa.close();
    } finally {
      await courier.stop();
      await receiver.close();
    }
  });

  it("generates a VAPID key pair once and keeps it in the data directory", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "courier-vapid-"));
    try {
      const config = configFromEnv({ COURIER_DATA_DIR: dataDir });
      const first = await setupPush(config);
      await first.close();
      const second = await setupPush(config);
      await second.close();
      assert.equal(first.vapidPublicKey, second.vapidPublicKey);
      assert.equal(Buffer.from(first.vapidPublicKey, "base64url").length, 65);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("takes the VAPID keys from the environment, and refuses half a pair or a bad subject", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "courier-vapid-"));
    const keys = webpush.generateVAPIDKeys();
    const env = { COURIER_DATA_DIR: dataDir };
    try {
      const push = await setupPush(
        configFromEnv({
          ...env,
          COURIER_VAPID_PUBLIC_KEY: keys.publicKey,
          COURIER_VAPID_PRIVATE_KEY: keys.privateKey,
        }),
      );
      await push.close();
      assert.equal(push.vapidPublicKey, keys.publicKey);
      await assert.rejects(
        setupPush(configFromEnv({ ...env, COURIER_VAPID_PUBLIC_KEY: keys.publicKey })),
        /both/,
      );
      await assert.rejects(
        setupPush(configFromEnv({ ...env, COURIER_VAPID_SUBJECT: "admin@example.com" })),
        /mailto/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("validates subscriptions: https only in production, real keys, a token required", async () => {
    const courier = await startPushCourier({}, { allowHttpEndpoints: false });
    try {
      const b = await register(courier.url);
      const good = { endpoint: "https://push.example/abc", keys: subscriptionKeys() };
      const post = (token: string | undefined, body: unknown) =>
        api(courier.url, token, "POST", "/api/push/subscriptions", body);
      assert.equal((await post(b.token, good)).status, 201);
      const http = await post(b.token, { ...good, endpoint: "http://127.0.0.1:9/x" });
      assert.deepEqual([http.status, (http.body as { code: string }).code], [400, "bad_request"]);
      assert.equal(
        (await post(b.token, { ...good, keys: { p256dh: "AAAA", auth: "BBBB" } })).status,
        400,
      );
      assert.equal((await post(b.token, { endpoint: "not a url", keys: good.keys })).status, 400);
      assert.equal((await post(undefined, good)).status, 401);
      assert.equal((await api(courier.url, undefined, "GET", "/api/push/settings")).status, 401);
    } finally {
      await courier.stop();
    }
  });

  it("never slows the message path: a stuck push store costs notifications, not acks", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "courier-stuck-"));
    const real = SqlitePushStore.open({ dataDir });
    // Every lookup hangs, as if the push database were gone.
    const stuck = new Proxy<PushStore>(real, {
      get(target, prop) {
        if (prop === "subscriptionsOf") return () => new Promise<never>(() => {});
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const courier = await startPushCourier({}, { pushStore: stuck, maxIntake: 2 });
    try {
      const a = await register(courier.url);
      const b = await register(courier.url);
      const sa = await RawSocket.authed(courier.url, a.token);
      const started = Date.now();
      sa.sendJson(
        Array.from({ length: 20 }, (_, i) => ({
          t: "send",
          cid: `s${i}`,
          to: b.user.id,
          content: { type: "text", text: `m${i}` },
        })),
      );
      await sa.waitFor((f): f is Sent => f.t === "sent" && f.cid === "s19");
      assert.ok(Date.now() - started < 2000, "all twenty acked promptly");
      // 4 workers hold one message each, the intake holds 2, the other 14 are dropped.
      assert.equal(
        await metric(courier.url, "courier_push_dropped_total", 'reason="intake_full"'),
        14,
      );
      assert.equal(await metric(courier.url, "courier_push_queue"), 6);
      sa.close();
    } finally {
      await courier.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

function subscriptionKeys() {
  return {
    p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString("base64url"),
    auth: Buffer.alloc(16, 1).toString("base64url"),
  };
}
