import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PushPayload, PushSettings, ServerFrame } from "@courier/protocol";
import pino from "pino";
import { ExpoSender } from "../../src/push/sender.expo.ts";
import type { PushJob, SendOutcome } from "../../src/push/sender.ts";
import { api, register } from "../support/accounts.ts";
import { RawSocket } from "../support/raw-socket.ts";
import { testDispatcher } from "./support/dispatcher.ts";
import { ExpoReceiver } from "./support/expo-receiver.ts";
import { type PushCourier, sleep, startPushCourier } from "./support/push-courier.ts";

type Sent = Extract<ServerFrame, { t: "sent" }>;
const silent = pino({ level: "silent" });

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

function job(token: string, i: number): PushJob {
  const payload: PushPayload = {
    v: 1,
    conv: `d:a:${i}`,
    seq: i,
    count: 1,
    title: "A",
    body: `m${i}`,
  };
  return {
    subscription: {
      kind: "expo",
      deviceId: `dev${i}`,
      userId: `u${i}`,
      address: token,
      createdAt: 0,
    },
    payload,
    privacy: "full",
    attempt: 1,
  };
}

describe("Expo push: batching against a local Expo API", () => {
  let expo: ExpoReceiver;
  before(async () => {
    expo = await ExpoReceiver.start();
  });
  after(() => expo.close());

  it("sends the jobs that became ready together as batches of at most 100", async () => {
    const dead: string[] = [];
    const sender = new ExpoSender({
      baseUrl: expo.url,
      onDeadToken: (t) => dead.push(t),
      log: silent,
    });
    const outcomes: SendOutcome[] = [];
    const dispatcher = testDispatcher({
      senders: { expo: sender },
      onOutcome: (_job, outcome) => outcomes.push(outcome),
    });
    const before = expo.batches.length;
    for (let i = 0; i < 150; i++) dispatcher.enqueue(job(`ExponentPushToken[batch${i}]`, i));
    await dispatcher.idle();
    const batches = expo.batches.slice(before);
    assert.deepEqual(
      batches.map((b) => b.length),
      [100, 50],
    );
    assert.equal(outcomes.length, 150);
    assert.ok(outcomes.every((o) => o.kind === "ok"));
    dispatcher.close();
  });
});

describe("Expo push through a real server", () => {
  let courier: PushCourier;
  let expo: ExpoReceiver;
  let n = 0;

  before(async () => {
    expo = await ExpoReceiver.start();
    courier = await startPushCourier(
      { COURIER_EXPO_PUSH_URL: `${expo.url}/`, COURIER_PUSH_COALESCE_MS: "100" },
      { expoReceiptDelayMs: 100 },
    );
  });
  after(async () => {
    await courier.stop();
    await expo.close();
  });

  async function nativeUser() {
    const user = await register(courier.url);
    const token = `ExponentPushToken[${user.user.id}]`;
    const res = await api(courier.url, user.token, "POST", "/api/push/subscriptions", {
      expoToken: token,
    });
    assert.equal(res.status, 201);
    assert.equal((res.body as PushSettings).subscription, "expo");
    return { ...user, expoToken: token };
  }

  async function send(socket: RawSocket, to: string, text: string): Promise<Sent> {
    const cid = `e${++n}`;
    socket.sendJson({ t: "send", cid, to, content: { type: "text", text } });
    return socket.waitFor((f): f is Sent => f.t === "sent" && f.cid === cid);
  }

  const subscriptionOf = async (token: string) =>
    ((await api(courier.url, token, "GET", "/api/push/settings")).body as PushSettings)
      .subscription;

  it("notifies a native device through Expo with title, body and the chat to open", async () => {
    const a = await register(courier.url);
    const b = await nativeUser();
    const sa = await RawSocket.authed(courier.url, a.token);
    const sent = await send(sa, b.user.id, "hi native");
    await until(() => expo.messages.some((m) => m.to === b.expoToken));
    const message = expo.messages.find((m) => m.to === b.expoToken);
    assert.equal(message?.title, a.user.displayName);
    assert.equal(message?.body, "hi native");
    assert.deepEqual(message?.data, { v: 1, conv: sent.conv, seq: 1, count: 1 });
    sa.close();
  });

  it("keeps even the chat id out of Expo's hands at the content-free level", async () => {
    const a = await register(courier.url);
    const b = await nativeUser();
    await api(courier.url, b.token, "PUT", "/api/push/settings", { privacy: "none" });
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "top secret");
    await until(() => expo.messages.some((m) => m.to === b.expoToken));
    const message = expo.messages.find((m) => m.to === b.expoToken);
    assert.deepEqual(
      [message?.title, message?.body, message?.data],
      ["Courier", "New message", { v: 1, count: 1 }],
    );
    sa.close();
  });

  it("drops a token whose receipt says DeviceNotRegistered", async () => {
    const a = await register(courier.url);
    const b = await nativeUser();
    expo.markDeadInReceipt(b.expoToken);
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "are you still installed?");
    await until(() => expo.messages.some((m) => m.to === b.expoToken));
    await until(async () => (await subscriptionOf(b.token)) === null);
    assert.ok(expo.receiptRequests.flat().length >= 1, "receipts were read");
    sa.close();
  });

  it("drops a token whose ticket already says DeviceNotRegistered", async () => {
    const a = await register(courier.url);
    const b = await nativeUser();
    expo.markDeadInTicket(b.expoToken);
    const sa = await RawSocket.authed(courier.url, a.token);
    await send(sa, b.user.id, "hello?");
    await until(async () => (await subscriptionOf(b.token)) === null);
    const sentBefore = expo.messages.filter((m) => m.to === b.expoToken).length;
    await send(sa, b.user.id, "hello again?");
    await sleep(300);
    assert.equal(expo.messages.filter((m) => m.to === b.expoToken).length, sentBefore);
    sa.close();
  });

  it("rejects something that is not an Expo token", async () => {
    const b = await register(courier.url);
    const res = await api(courier.url, b.token, "POST", "/api/push/subscriptions", {
      expoToken: "abc",
    });
    assert.equal(res.status, 400);
  });
});
