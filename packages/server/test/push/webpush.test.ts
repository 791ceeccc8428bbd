import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PushSettings, ServerFrame } from "@courier/protocol";
import { api, login, register } from "../support/accounts.ts";
import { RawSocket } from "../support/raw-socket.ts";
import { metric, type PushCourier, sleep, startPushCourier } from "./support/push-courier.ts";
import { WebPushReceiver } from "./support/webpush-receiver.ts";

type Sent = Extract<ServerFrame, { t: "sent" }>;

/**
 * Web Push end to end: real server, real WebSockets, a loopback push service that verifies the
 * VAPID signature and decrypts every payload with the subscription's own private key.
 */
describe("web push", () => {
  let courier: PushCourier;
  let receiver: WebPushReceiver;
  let n = 0;

  before(async () => {
    receiver = await WebPushReceiver.start();
    courier = await startPushCourier({ COURIER_PUSH_COALESCE_MS: "150" });
    const key = await api(courier.url, undefined, "GET", "/api/push/vapid-public-key");
    receiver.expectServerKey((key.body as { publicKey: string }).publicKey);
  });
  after(async () => {
    await courier.stop();
    await receiver.close();
    assert.deepEqual(receiver.errors, [], "every push verified and decrypted");
  });

  /** A registered user whose (only) device subscribed under a fresh name. */
  async function subscribedUser() {
    const user = await register(courier.url);
    const name = `sub${++n}`;
    const res = await api(
      courier.url,
      user.token,
      "POST",
      "/api/push/subscriptions",
      receiver.subscription(name),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((res.body as PushSettings).subscription, "web");
    return { ...user, name };
  }

  async function send(socket: RawSocket, to: string, text: string): Promise<Sent> {
    const cid = `c${++n}`;
    socket.sendJson({ t: "send", cid, to, content: { type: "text", text } });
    return socket.waitFor((f): f is Sent => f.t === "sent" && f.cid === cid);
  }

  it("wakes an offline device with a payload only its keys decrypt", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    const sa = await RawSocket.authed(courier.url, a.token);
    const sent = await send(sa, b.user.id, "hello   from\nA");
    const [push] = await receiver.waitFor(b.name);
    assert.deepEqual(push?.payload, {
      v: 1,
      conv: sent.conv,
      seq: sent.seq,
      count: 1,
      title: a.user.displayName,
      body: "hello from A",
      sender: { id: a.user.id, name: a.user.displayName },
      preview: "hello from A",
    });
    assert.equal(push?.headers.urgency, "high");
    assert.match(push?.claims.sub ?? "", /^mailto:/);
    sa.close();
  });

  it("skips a device that is connected and wakes the user's offline one", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    const b2 = await login(courier.url, b.user.username);
    const name2 = `sub${++n}`;
    await api(
      courier.url,
      b2.token,
      "POST",
      "/api/push/subscriptions",
      receiver.subscription(name2),
    );
    const online = await RawSocket.authed(courier.url, b.token); // b's first device is connected
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "are you there?");
    await online.waitFor((f) => f.t === "msg");
    await receiver.waitFor(name2);
    await sleep(400); // past the window: the connected device must still have nothing
    assert.equal(receiver.received(b.name).length, 0);
    assert.ok((await metric(courier.url, "courier_push_skipped_total", 'reason="online"')) >= 1);
    online.close();
    sa.close();
  });

  it("folds a burst of ten into one notification that says ten", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    const sa = await RawSocket.authed(courier.url, a.token);
    const frames = Array.from({ length: 10 }, (_, i) => ({
      t: "send",
      cid: `burst${n}_${i}`,
      to: b.user.id,
      content: { type: "text", text: `message ${i + 1}` },
    }));
    sa.sendJson(frames);
    const [push] = await receiver.waitFor(b.name);
    await sleep(400);
    assert.equal(receiver.received(b.name).length, 1);
    assert.equal(push?.payload.count, 10);
    assert.equal(push?.payload.seq, 10);
    assert.equal(push?.payload.body, "10 new messages · message 10");
    sa.close();
  });

  it("stays silent for a muted conversation and speaks again once unmuted", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    const sa = await RawSocket.authed(courier.url, a.token);
    const first = await send(sa, b.user.id, "before mute");
    await receiver.waitFor(b.name, 1);
    const conv = encodeURIComponent(first.conv);
    assert.equal(
      (await api(courier.url, b.token, "PUT", `/api/push/mutes/${conv}`, {})).status,
      204,
    );
    const settings = await api(courier.url, b.token, "GET", "/api/push/settings");
    assert.deepEqual((settings.body as PushSettings).mutes, [{ conv: first.conv, until: null }]);
    await send(sa, b.user.id, "while muted");
    await sleep(400);
    assert.equal(receiver.received(b.name).length, 1);
    assert.equal(
      (await api(courier.url, b.token, "DELETE", `/api/push/mutes/${conv}`)).status,
      204,
    );
    await send(sa, b.user.id, "after unmute");
    const pushes = await receiver.waitFor(b.name, 2);
    assert.equal(pushes[1]?.payload.body, "after unmute");
    // A stranger cannot mute (or learn about) someone else's conversation.
    const c = await register(courier.url);
    const denied = await api(courier.url, c.token, "PUT", `/api/push/mutes/${conv}`, {});
    assert.deepEqual([denied.status, (denied.body as { code: string }).code], [403, "not_member"]);
    sa.close();
  });

  it("reveals only what the user's privacy level allows", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    const sa = await RawSocket.authed(courier.url, a.token);
    const put = await api(courier.url, b.token, "PUT", "/api/push/settings", { privacy: "sender" });
    assert.deepEqual(
      [(put.body as PushSettings).privacy, (put.body as PushSettings).privacyIsDefault],
      ["sender", false],
    );
    await send(sa, b.user.id, "secret plans");
    const [senderOnly] = await receiver.waitFor(b.name, 1);
    assert.equal(senderOnly?.payload.title, a.user.displayName);
    assert.equal(senderOnly?.payload.body, "New message");
    assert.equal(senderOnly?.payload.preview, undefined);
    assert.deepEqual(senderOnly?.payload.sender, { id: a.user.id, name: a.user.displayName });

    await api(courier.url, b.token, "PUT", "/api/push/settings", { privacy: "none" });
    await send(sa, b.user.id, "more secret plans");
    const contentFree = (await receiver.waitFor(b.name, 2))[1];
    assert.equal(contentFree?.payload.title, "Courier");
    assert.equal(contentFree?.payload.body, "New message");
    assert.equal(contentFree?.payload.sender, undefined);
    const text = JSON.stringify(contentFree?.payload);
    assert.ok(!text.includes("secret") && !text.includes(a.user.displayName), text);

    const bad = await api(courier.url, b.token, "PUT", "/api/push/settings", { privacy: "all" });
    assert.equal(bad.status, 400);
    sa.close();
  });

  it("drops a subscription the push service answers 410 for", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    receiver.script(b.name, { status: 410 });
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "anyone?");
    await receiver.waitFor(b.name);
    for (let i = 0; i < 100; i++) {
      const s = await api(courier.url, b.token, "GET", "/api/push/settings");
      if ((s.body as PushSettings).subscription === null) break;
      await sleep(20);
    }
    const settings = await api(courier.url, b.token, "GET", "/api/push/settings");
    assert.equal((settings.body as PushSettings).subscription, null);
    await send(sa, b.user.id, "still there?");
    await sleep(400);
    assert.equal(receiver.received(b.name).length, 1, "nothing goes to a dead endpoint");
    sa.close();
  });

  it("retries after 429, honouring Retry-After, and after 5xx with backoff", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    receiver.script(b.name, { status: 429, headers: { "retry-after": "1" } }, { status: 503 });
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "try again");
    const [limited, unavailable, ok] = await receiver.waitFor(b.name, 3, 8000);
    assert.deepEqual([limited?.status, unavailable?.status, ok?.status], [429, 503, 201]);
    const waited = (unavailable?.at ?? 0) - (limited?.at ?? 0);
    assert.ok(waited >= 950, `retried ${waited} ms after a Retry-After of 1 s`);
    assert.deepEqual(ok?.payload, limited?.payload, "the retry carries the same notification");
    const settings = await api(courier.url, b.token, "GET", "/api/push/settings");
    assert.equal(
      (settings.body as PushSettings).subscription,
      "web",
      "a 429 keeps the subscription",
    );
    sa.close();
  });

  it("never wakes a revoked device", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    const b2 = await login(courier.url, b.user.username);
    assert.equal(
      (await api(courier.url, b2.token, "DELETE", `/api/devices/${b.device.id}`)).status,
      204,
    );
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "to a revoked device");
    await sleep(400);
    assert.equal(receiver.received(b.name).length, 0);
    sa.close();
  });

  it("stops waking a device that unsubscribed", async () => {
    const a = await register(courier.url);
    const b = await subscribedUser();
    assert.equal(
      (await api(courier.url, b.token, "DELETE", "/api/push/subscriptions")).status,
      204,
    );
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "hello?");
    await sleep(400);
    assert.equal(receiver.received(b.name).length, 0);
    sa.close();
  });
});
