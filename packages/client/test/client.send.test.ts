import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { ClientFrame } from "@courier/protocol";
import { MemoryStorage } from "../src/storage.memory.ts";
import { bob, disconnectAll, dm, fakeClient, me, settle } from "./support/harness.ts";

const text = (t: string) => ({ type: "text" as const, text: t });

describe("CourierClient sending (fake server)", () => {
  afterEach(disconnectAll);

  it("sends a tick's messages as one WebSocket message, in order", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    const sentBefore = socket.messages.length;
    const sends = await Promise.all([
      h.client.send({ to: bob.id }, text("one")),
      h.client.send({ conv: dm }, text("two")),
      h.client.send({ conv: dm }, text("three")),
    ]);
    await settle();
    assert.equal(socket.messages.length, sentBefore + 1, "one WebSocket message");
    const batch = JSON.parse(socket.messages.at(-1) as string) as ClientFrame[];
    assert.deepEqual(
      batch.map((f) => (f.t === "send" ? [f.cid, f.conv, f.to, f.content] : f.t)),
      [
        [sends[0]?.cid, undefined, bob.id, text("one")],
        [sends[1]?.cid, dm, undefined, text("two")],
        [sends[2]?.cid, dm, undefined, text("three")],
      ],
    );
    assert.equal(sends[0]?.conv, dm, "the direct conversation id is known before the first send");
    assert.deepEqual(
      sends.map((m) => [m.status, m.from]),
      [
        ["pending", me.id],
        ["pending", me.id],
        ["pending", me.id],
      ],
    );
    assert.equal(new Set(sends.map((m) => m.cid)).size, 3);
  });

  it("walks a message through sent → delivered → read, persisting each step", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    const m = await h.client.send({ conv: dm }, text("hi"));
    await socket.waitFor((f) => f.t === "send");
    socket.deliver({ t: "sent", cid: m.cid, conv: dm, id: "s1", seq: 1, ts: 111 });
    await settle();
    socket.deliver({ t: "receipt", conv: dm, user: bob.id, delivered: 1, read: 0 });
    await settle();
    socket.deliver({ t: "receipt", conv: dm, user: bob.id, delivered: 1, read: 1 });
    await settle();
    assert.deepEqual(
      h.of("status").map((s) => [s.cid, s.status, s.seq, s.id]),
      [
        [m.cid, "sent", 1, "s1"],
        [m.cid, "delivered", 1, "s1"],
        [m.cid, "read", 1, "s1"],
      ],
    );
    assert.equal(h.of("status")[0]?.ts, 111, "the server's time replaces the local one");
    assert.deepEqual(await h.storage.loadOutbox(), []);
    const stored = await h.storage.listMessages(dm, { limit: 10 });
    assert.deepEqual(
      stored.map((s) => [s.cid, s.status]),
      [[m.cid, "read"]],
    );
    assert.deepEqual(await h.client.cursors(dm), {
      conv: dm,
      stored: 1,
      read: 0,
      peerDelivered: 1,
      peerRead: 1,
    });
  });

  it("applies a receipt that arrived before the `sent` it covers", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    const m = await h.client.send({ conv: dm }, text("hi"));
    socket.deliver([
      { t: "receipt", conv: dm, user: bob.id, delivered: 4, read: 0 },
      { t: "sent", cid: m.cid, conv: dm, id: "s4", seq: 4, ts: 1 },
    ]);
    await settle();
    assert.deepEqual(
      h.of("status").map((s) => s.status),
      ["delivered"],
    );
  });

  it("persists sends made offline and sends them, same cid, once connected", async () => {
    const h = await fakeClient();
    const m = await h.client.send({ conv: dm }, text("offline"));
    assert.deepEqual(
      (await h.storage.loadOutbox()).map((o) => o.cid),
      [m.cid],
      "in storage before any socket exists",
    );
    assert.equal(h.network.sockets.length, 0);
    const socket = await h.online();
    const frame = await socket.waitFor((f) => f.t === "send");
    assert.equal(frame.t === "send" && frame.cid, m.cid);
  });

  it("survives a restart: a new client on the same storage resends the outbox", async () => {
    const storage = new MemoryStorage();
    const first = await fakeClient({ storage });
    const a = await first.client.send({ conv: dm }, text("a"));
    const b = await first.client.send({ conv: dm }, text("b"));
    const second = await fakeClient({ storage });
    assert.deepEqual(
      (await second.client.outbox(dm)).map((m) => m.cid),
      [a.cid, b.cid],
    );
    const socket = await second.online();
    await settle();
    assert.deepEqual(
      socket.framesOf("send").map((f) => f.cid),
      [a.cid, b.cid],
    );
  });

  it("resends unanswered messages with the same cid after a reconnect, until `sent`", async () => {
    const h = await fakeClient();
    const first = await h.online();
    const m = await h.client.send({ conv: dm }, text("lost"));
    await first.waitFor((f) => f.t === "send");
    first.serverClose(1006);
    const second = await h.online();
    const again = await second.waitFor((f) => f.t === "send");
    assert.equal(again.t === "send" && again.cid, m.cid);
    second.deliver({ t: "sent", cid: m.cid, conv: dm, id: "s1", seq: 1, ts: 1 });
    await settle();
    second.serverClose(1006);
    const third = await h.online();
    await settle();
    assert.deepEqual(third.framesOf("send"), [], "answered messages are not sent again");
  });

  it("treats my own message echoed by sync as the `sent` that got lost", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    const m = await h.client.send({ conv: dm }, text("echo"));
    socket.deliver({
      t: "msg",
      conv: dm,
      id: "s1",
      seq: 1,
      from: me.id,
      cid: m.cid,
      ts: 5,
      content: text("echo"),
    });
    await settle();
    assert.deepEqual(
      h.of("status").map((s) => [s.status, s.seq]),
      [["sent", 1]],
    );
    assert.deepEqual(h.of("message"), [], "not announced as a new message");
    assert.deepEqual(await h.client.outbox(), []);
  });

  it("fails a message on a permanent error and can resend it", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    const m = await h.client.send({ conv: "g:nope" }, text("x"));
    await socket.waitFor((f) => f.t === "send");
    socket.deliver({ t: "error", code: "not_member", message: "no", ref: m.cid });
    await settle();
    const failed = h.of("status").at(-1);
    assert.deepEqual([failed?.status, failed?.error], ["failed", "not_member"]);
    assert.equal(h.of("error")[0]?.ref, m.cid);
    assert.equal((await h.storage.loadOutbox())[0]?.status, "failed", "persisted as failed");
    const again = await h.client.resend(m.cid);
    assert.equal(again?.status, "pending");
    await settle();
    assert.equal(socket.framesOf("send").filter((f) => f.cid === m.cid).length, 2);
  });

  it("retries a retryable error with the swappable policy", async () => {
    const h = await fakeClient({ retryPolicy: { retryAfter: (_c, n) => (n < 2 ? 5 : undefined) } });
    const socket = await h.online();
    const m = await h.client.send({ conv: dm }, text("x"));
    await socket.waitFor((f) => f.t === "send");
    socket.deliver({ t: "error", code: "unavailable", message: "db down", ref: m.cid });
    await settle(30);
    assert.equal(socket.framesOf("send").length, 2, "sent again after the delay");
    assert.deepEqual(
      h.of("status").map((s) => s.status),
      [],
      "still pending, no status change",
    );
    socket.deliver({ t: "error", code: "unavailable", message: "db down", ref: m.cid });
    await settle();
    assert.equal(h.of("status").at(-1)?.status, "failed", "the policy gave up");
  });

  it("rejects invalid content without queueing it", async () => {
    const h = await fakeClient();
    await assert.rejects(h.client.send({ conv: dm }, text("")), { code: "bad_frame" });
    assert.deepEqual(await h.client.outbox(), []);
  });

  it("coalesces read marks and throttles typing", async () => {
    const h = await fakeClient({ typingThrottleMs: 1000 });
    const socket = await h.online();
    await h.client.markRead(dm, 3);
    await h.client.markRead(dm, 5);
    await h.client.markRead(dm, 4);
    h.client.setTyping(dm, true);
    h.client.setTyping(dm, true);
    await settle();
    h.client.setTyping(dm, true);
    h.client.setTyping(dm, false);
    h.client.setTyping(dm, false);
    await settle();
    assert.deepEqual(socket.framesOf("read"), [{ t: "read", conv: dm, seq: 5 }]);
    assert.deepEqual(
      socket.framesOf("typing").map((f) => f.on),
      [true, false],
    );
    assert.equal((await h.client.cursors(dm)).read, 5, "the read cursor is kept locally");
    assert.equal((await h.storage.loadCursors())[0]?.read, 5, "and persisted");
  });
});
