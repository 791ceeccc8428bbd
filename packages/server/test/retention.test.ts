import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { login, register } from "./support/accounts.ts";
import { startCourier } from "./support/courier.ts";
import { metric } from "./support/metrics.ts";
import { RawSocket } from "./support/raw-socket.ts";

type Sent = Extract<ServerFrame, { t: "sent" }>;
type Msg = Extract<ServerFrame, { t: "msg" }>;

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Alice sends to Bob, who has two devices. The message may only disappear once both of Bob's
 * devices and Alice's second device acked it; Alice's sending device never needs to.
 */
async function scenario(retention: "history" | "relay") {
  const courier = await startCourier({ COURIER_RETENTION: retention });
  try {
    const alice = await register(courier.url);
    const alice2 = await login(courier.url, alice.user.username);
    const bob = await register(courier.url);
    const bob2 = await login(courier.url, bob.user.username);
    const sa = await RawSocket.authed(courier.url, alice.token);
    const sa2 = await RawSocket.authed(courier.url, alice2.token);
    const sb = await RawSocket.authed(courier.url, bob.token);
    sa.sendText({ cid: "r1", to: bob.user.id, text: "burn after reading" });
    const sent = await sa.waitFor((f): f is Sent => f.t === "sent");
    const msg = await sb.waitFor((f): f is Msg => f.t === "msg");
    await sa2.waitFor((f) => f.t === "msg");
    const stored = () => courier.store.messagesAfter(sent.conv, 0, 10);
    assert.equal((await stored()).length, 1);

    sb.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
    sa2.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
    await sa.waitFor((f) => f.t === "receipt" && f.delivered === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await stored()).length, 1, "bob's second device has not acked yet");

    // Bob's second device was offline: it gets the message on connect and acks it.
    const sb2 = await RawSocket.authed(courier.url, bob2.token);
    const late = sb2.frames.find((f): f is Msg => f.t === "msg");
    assert.equal(late?.id, sent.id);
    sb2.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
    if (retention === "relay") {
      await eventually(async () => (await stored()).length === 0);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await stored()).length, 1);
    }
    // A late retry of the same send is still recognised: same id, nothing stored again.
    sa.sendText({ cid: "r1", to: bob.user.id, text: "burn after reading" });
    await eventually(async () => sa.frames.filter((f) => f.t === "sent").length === 2);
    const again = sa.frames.filter((f): f is Sent => f.t === "sent")[1];
    assert.equal(again?.id, sent.id);
    assert.equal((await stored()).length, retention === "relay" ? 0 : 1);
    for (const s of [sa, sa2, sb, sb2]) s.close();
  } finally {
    await courier.stop();
  }
}

describe("retention", () => {
  it("relay: a pruned message's key is forgotten past COURIER_DEDUPE_DAYS", async () => {
    // 0 days: keys go with the prune pass that made them.
    const courier = await startCourier({ COURIER_RETENTION: "relay", COURIER_DEDUPE_DAYS: "0" });
    try {
      const alice = await register(courier.url);
      const bob = await register(courier.url);
      const sa = await RawSocket.authed(courier.url, alice.token);
      const sb = await RawSocket.authed(courier.url, bob.token);
      const send = { t: "send", cid: "k1", to: bob.user.id, content: { type: "text", text: "hi" } };
      sa.sendJson(send);
      const sent = await sa.waitFor((f): f is Sent => f.t === "sent");
      const msg = await sb.waitFor((f): f is Msg => f.t === "msg");
      sb.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
      await eventually(
        async () => (await metric(courier.url, "courier_dedupe_keys_expired_total")) === 1,
      );
      // The retry is no longer recognised: a new message, with a new id and seq.
      sa.sendJson(send);
      await eventually(async () => sa.frames.filter((f) => f.t === "sent").length === 2);
      const again = sa.frames.filter((f): f is Sent => f.t === "sent")[1];
      assert.notEqual(again?.id, sent.id);
      assert.equal(again?.seq, sent.seq + 1);
      for (const s of [sa, sb]) s.close();
    } finally {
      await courier.stop();
    }
  });

  it("relay: the row is deleted once every recipient device acked it", () => scenario("relay"));
  it("history: the row is kept after every device acked it", () => scenario("history"));
});
