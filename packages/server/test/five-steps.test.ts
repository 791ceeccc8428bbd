import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { RawSocket } from "./support/raw-socket.ts";

/** The wire-level delivery flow, frame by frame, without the SDK in between. */
describe("the five-step flow on the wire", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier();
  });
  after(() => courier.stop());

  it("sent → msg → ack → delivered receipt → read receipt", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    sa.sendText({ cid: "m1", to: b.user.id, text: "hello" });
    const sent = await sa.waitFor((f): f is Extract<ServerFrame, { t: "sent" }> => f.t === "sent");
    assert.equal(sent.seq, 1);
    assert.equal(sent.cid, "m1");
    const msg = await sb.waitFor((f): f is Extract<ServerFrame, { t: "msg" }> => f.t === "msg");
    assert.deepEqual([msg.id, msg.seq, msg.from, msg.conv], [sent.id, 1, a.user.id, sent.conv]);
    assert.deepEqual(msg.content, { type: "text", text: "hello" });
    assert.equal(
      sa.frames.some((f) => f.t === "msg"),
      false,
      "the sending device gets sent, not msg",
    );

    sb.sendJson({ t: "ack", conv: sent.conv, seq: 1 });
    await sa.waitFor(
      (f) => f.t === "receipt" && f.user === b.user.id && f.delivered === 1 && f.read === 0,
    );
    sb.sendJson({ t: "read", conv: sent.conv, seq: 1 });
    await sa.waitFor((f) => f.t === "receipt" && f.user === b.user.id && f.read === 1);

    sb.sendJson({ t: "typing", conv: sent.conv, on: true });
    await sa.waitFor((f) => f.t === "typing" && f.user === b.user.id && f.on);
    sa.close();
    sb.close();
  });

  it("keeps a burst's order while the conversation's members are looked up, and after", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    const burst = (from: number) =>
      Array.from({ length: 20 }, (_, i) => ({
        t: "send",
        cid: `o${from + i}`,
        to: b.user.id,
        content: { type: "text", text: `n${from + i}` },
      }));
    type Msg = Extract<ServerFrame, { t: "msg" }>;
    // First contact: the first frame starts the lookup, the other nineteen wait behind it.
    sa.sendJson(burst(0));
    await sb.waitFor((f): f is Msg => f.t === "msg" && f.cid === "o19");
    // The lookup has settled: these take the members from the cache without awaiting.
    sa.sendJson(burst(20));
    await sb.waitFor((f): f is Msg => f.t === "msg" && f.cid === "o39");
    const got = sb.frames.filter((f): f is Msg => f.t === "msg");
    assert.deepEqual(
      got.map((m) => [m.cid, m.seq]),
      Array.from({ length: 40 }, (_, i) => [`o${i}`, i + 1]),
    );
    sa.close();
    sb.close();
  });

  it("a resend with the same client id returns the same server id and delivers once", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    const frame = {
      t: "send",
      cid: "same",
      to: b.user.id,
      content: { type: "text", text: "once" },
    };
    sa.sendJson([frame, frame]);
    sa.sendJson(frame);
    await sb.waitFor((f) => f.t === "msg");
    const deadline = Date.now() + 2000;
    while (sa.frames.filter((f) => f.t === "sent").length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const sents = sa.frames.filter((f) => f.t === "sent");
    assert.equal(sents.length, 3);
    assert.equal(new Set(sents.map((s) => s.t === "sent" && s.id)).size, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sb.frames.filter((f) => f.t === "msg").length, 1);
    const conv = sents[0]?.t === "sent" ? sents[0].conv : "";
    assert.equal((await courier.store.messagesAfter(conv, 0, 10)).length, 1);
    sa.close();
    sb.close();
  });
});
