import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { storeWithMovesHook } from "./support/hooked-store.ts";
import { RawSocket } from "./support/raw-socket.ts";

const commitDelayMs = 600;
/** COURIER_ACK_FLUSH_MS here: how long a plain ack waits before its cursor write starts. */
const ackFlushMs = 50;

/**
 * Delivered receipts go out when the ack arrives, not after the cursor batch is durable: the
 * cursor write here takes 600 ms and the receipt must not wait for it. And an ack cannot make
 * the server announce more than the log holds.
 */
describe("receipts before the cursor commit", () => {
  let courier: TestCourier;
  let removeStore: () => Promise<void>;
  before(async () => {
    const { store, remove } = await storeWithMovesHook(
      () => new Promise((r) => setTimeout(r, commitDelayMs)),
    );
    removeStore = remove;
    courier = await startCourier({ COURIER_ACK_FLUSH_MS: String(ackFlushMs) }, { store });
  });
  after(async () => {
    await courier.stop();
    await removeStore();
  });

  it("announces a delivered receipt without waiting for the cursor write", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    sa.sendText({ cid: "fast", to: b.user.id, text: "hi" });
    const msg = await sb.waitFor((f): f is Extract<ServerFrame, { t: "msg" }> => f.t === "msg");
    const acked = performance.now();
    sb.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
    await sa.waitFor((f) => f.t === "receipt" && f.delivered === msg.seq);
    const waited = performance.now() - acked;
    assert.ok(waited < commitDelayMs / 2, `receipt took ${waited.toFixed(0)} ms`);
    // The cursor is still written, later.
    await new Promise((r) => setTimeout(r, ackFlushMs + commitDelayMs + 200));
    const [row] = await courier.store.conversationsOf(a.user.id);
    assert.equal(row?.others[0]?.delivered, msg.seq);
    sa.close();
    sb.close();
  });

  it("never announces more than the log holds, whatever the ack claims", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    sa.sendText({ cid: "one", to: b.user.id, text: "one" });
    const msg = await sb.waitFor((f): f is Extract<ServerFrame, { t: "msg" }> => f.t === "msg");
    sb.sendJson({ t: "read", conv: msg.conv, seq: 1_000_000 });
    await sa.waitFor((f) => f.t === "receipt" && f.read >= 1);
    await new Promise((r) => setTimeout(r, commitDelayMs + 200));
    const receipts = sa.frames.filter((f) => f.t === "receipt");
    assert.ok(receipts.length > 0);
    for (const r of receipts) {
      assert.ok(r.t === "receipt" && r.delivered <= 1 && r.read <= 1, JSON.stringify(r));
    }
    sa.close();
    sb.close();
  });

  it("refuses an ack from outside a direct conversation: its members see no receipt", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const outsider = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    const so = await RawSocket.authed(courier.url, outsider.token);
    sa.sendText({ cid: "mine", to: b.user.id, text: "for b only" });
    const msg = await sb.waitFor((f): f is Extract<ServerFrame, { t: "msg" }> => f.t === "msg");
    // The conversation id names both users, so anyone who knows their ids can address it.
    so.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
    const refused = await so.waitFor((f) => f.t === "error");
    assert.equal(refused.t === "error" && refused.code, "not_member");
    // Past the ack window and the store's commit: nothing was announced or stored for it.
    await new Promise((r) => setTimeout(r, ackFlushMs + commitDelayMs + 200));
    assert.deepEqual(
      sa.frames.filter((f) => f.t === "receipt"),
      [],
    );
    assert.deepEqual(
      sb.frames.filter((f) => f.t === "receipt"),
      [],
    );
    const [row] = await courier.store.conversationsOf(a.user.id);
    assert.equal(row?.others[0]?.delivered, 0);
    sa.close();
    sb.close();
    so.close();
  });
});
