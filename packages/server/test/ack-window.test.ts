import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import type { CursorMove } from "../src/store/store.ts";
import { login, register } from "./support/accounts.ts";
import type { TestCourier } from "./support/courier.ts";
import { courierRecordingMoves } from "./support/hooked-store.ts";
import { RawSocket } from "./support/raw-socket.ts";

type Msg = Extract<ServerFrame, { t: "msg" }>;
const isMsg = (f: ServerFrame): f is Msg => f.t === "msg";

/**
 * A direct conversation's plain acks wait COURIER_ACK_FLUSH_MS before their cursor write, so
 * that a device's many acks become one write (see CursorBatcher). Nothing may read a cursor
 * older than what was acked: every sync stores the waiting acks first (shutdown: see
 * cursor-flush.test.ts).
 * The window here is a minute, so that anything these tests see stored was stored early.
 */
describe("the ack window", () => {
  let courier: TestCourier;
  let stored: CursorMove[][];
  let stop: () => Promise<void>;
  before(async () => {
    ({
      courier,
      calls: stored,
      stop,
    } = await courierRecordingMoves({ COURIER_ACK_FLUSH_MS: "60000" }));
  });
  after(() => stop());

  /**
   * Alice sends `count` messages to Bob; Bob's socket has them all. A direct conversation's id
   * names its members in the order of their ids: `bobFirst` picks which of the two Bob is.
   */
  async function conversation(count: number, bobFirst = false) {
    const [x, y] = [await register(courier.url), await register(courier.url)];
    const [first, second] = x.user.id < y.user.id ? [x, y] : [y, x];
    const [a, b] = bobFirst ? [second, first] : [first, second];
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    for (let i = 1; i <= count; i++) {
      sa.sendJson({
        t: "send",
        cid: `m${i}`,
        to: b.user.id,
        content: { type: "text", text: `${i}` },
      });
      await sb.waitFor((f): f is Msg => isMsg(f) && f.seq === i);
    }
    const conv = (sb.frames.find(isMsg) as Msg).conv;
    return { a, b, sa, sb, conv };
  }

  /** Bob acks up to `seq`; Alice's device hears of it at once, whatever the window. */
  async function ack(sb: RawSocket, sa: RawSocket, conv: string, seq: number) {
    sb.sendJson({ t: "ack", conv, seq });
    await sa.waitFor((f) => f.t === "receipt" && f.delivered === seq);
  }

  const movesOf = (deviceId: string) => stored.flat().filter((m) => m.deviceId === deviceId);

  it("announces each ack at once, and stores none of them before a sync needs them", async () => {
    const { b, sa, sb, conv } = await conversation(3);
    for (let seq = 1; seq <= 3; seq++) await ack(sb, sa, conv, seq);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(movesOf(b.device.id), [], "no ack was stored within the window");
    sa.close();
    sb.close();
  });

  for (const bobFirst of [false, true]) {
    const order = bobFirst ? "the acker's id first" : "the sender's id first";

    it(`a device that reconnects gets nothing it acked again (${order})`, async () => {
      const { b, sa, sb, conv } = await conversation(2, bobFirst);
      await ack(sb, sa, conv, 2);
      sb.close();
      const again = await RawSocket.authed(courier.url, b.token);
      assert.deepEqual(again.frames.filter(isMsg), [], "the backlog starts after the ack");
      const moves = movesOf(b.device.id);
      assert.deepEqual(
        moves.map((m) => m.delivered),
        [2],
        "the waiting acks were stored as one move",
      );
      again.close();
      sa.close();
    });

    it(`the sender's device that connects later gets the delivered receipt (${order})`, async () => {
      const { a, sa, sb, conv } = await conversation(1, bobFirst);
      await ack(sb, sa, conv, 1);
      const { token } = await login(courier.url, a.user.username);
      const second = await RawSocket.authed(courier.url, token);
      const receipt = second.frames.find((f) => f.t === "receipt");
      assert.equal(receipt?.t === "receipt" ? receipt.delivered : undefined, 1);
      second.close();
      sa.close();
      sb.close();
    });
  }

  it("a device of someone else connecting leaves the waiting acks waiting", async () => {
    const { b, sa, sb, conv } = await conversation(1);
    await ack(sb, sa, conv, 1);
    const d = await register(courier.url);
    const sd = await RawSocket.authed(courier.url, d.token);
    assert.deepEqual(movesOf(b.device.id), [], "Dave's sync stored none of Bob's acks");
    sd.close();
    sa.close();
    sb.close();
  });

  it("a read does not wait for the ack window", async () => {
    const { b, sa, sb, conv } = await conversation(1);
    sb.sendJson({ t: "read", conv, seq: 1 });
    await sa.waitFor((f) => f.t === "receipt" && f.read === 1);
    await new Promise((r) => setTimeout(r, 200));
    const [row] = await courier.store.conversationsOf(b.user.id);
    assert.equal(row?.unread, 0);
    sa.close();
    sb.close();
  });
});

describe("the ack window, staggered", () => {
  it("stores each ack once it has waited the window, not all of them at once", async () => {
    const { courier, calls, stop } = await courierRecordingMoves({ COURIER_ACK_FLUSH_MS: "400" });
    try {
      const a = await register(courier.url);
      const b = await register(courier.url);
      const c = await register(courier.url);
      const sa = await RawSocket.authed(courier.url, a.token);
      const sb = await RawSocket.authed(courier.url, b.token);
      const sc = await RawSocket.authed(courier.url, c.token);
      for (const to of [b, c]) {
        sa.sendText({ cid: to.user.id, to: to.user.id, text: "hi" });
      }
      const toB = await sb.waitFor(isMsg);
      const toC = await sc.waitFor(isMsg);
      sb.sendJson({ t: "ack", conv: toB.conv, seq: toB.seq });
      await new Promise((r) => setTimeout(r, 250));
      sc.sendJson({ t: "ack", conv: toC.conv, seq: toC.seq });
      const storedFor = (deviceId: string) =>
        calls.findIndex((moves) => moves.some((m) => m.deviceId === deviceId));
      while (storedFor(c.device.id) < 0) await new Promise((r) => setTimeout(r, 20));
      assert.ok(
        storedFor(b.device.id) < storedFor(c.device.id),
        "Bob's ack, due first, went in an earlier store call than Carol's",
      );
      for (const s of [sa, sb, sc]) s.close();
    } finally {
      await stop();
    }
  });
});
