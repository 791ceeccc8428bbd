import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { MessageFrame } from "@courier/protocol";
import { MemoryStorage } from "../src/storage.memory.ts";
import type { StorageBatch } from "../src/storage.ts";
import { bob, disconnectAll, dm, fakeClient, me, settle } from "./support/harness.ts";

const msg = (seq: number, conv = dm, from = bob.id): MessageFrame => ({
  t: "msg",
  conv,
  id: `s${seq}`,
  seq,
  from,
  cid: `c-${conv}-${seq}`,
  ts: 1000 + seq,
  content: { type: "text", text: `m${seq}` },
});

describe("CourierClient receiving (fake server)", () => {
  afterEach(disconnectAll);

  it("stores, announces in order, and acks once per conversation per tick", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver([msg(1), msg(2), msg(1, "d:u-al:u-me", "u-al")]);
    socket.deliver(msg(3));
    await settle();
    assert.deepEqual(
      h.of("message").map((m) => [m.conv, m.seq, m.status]),
      [
        [dm, 1, "received"],
        [dm, 2, "received"],
        ["d:u-al:u-me", 1, "received"],
        [dm, 3, "received"],
      ],
    );
    assert.deepEqual(
      socket.framesOf("ack"),
      [
        { t: "ack", conv: dm, seq: 3 },
        { t: "ack", conv: "d:u-al:u-me", seq: 1 },
      ],
      "cumulative, highest stored seq, one per conversation",
    );
    assert.deepEqual(
      (await h.storage.listMessages(dm, { limit: 10 })).map((m) => m.seq),
      [1, 2, 3],
    );
    assert.equal((await h.client.cursors(dm)).stored, 3);
  });

  it("drops duplicates but acks again (the first ack was probably lost)", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver([msg(1), msg(2)]);
    await settle();
    socket.deliver([msg(1), msg(2)]);
    await settle();
    assert.equal(h.of("message").length, 2);
    assert.deepEqual(
      socket.framesOf("ack").map((a) => a.seq),
      [2, 2],
    );
  });

  it("holds messages behind a gap, pulls, and delivers in order once repaired", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver([msg(1), msg(3), msg(4)]);
    await settle();
    assert.deepEqual(
      h.of("message").map((m) => m.seq),
      [1],
    );
    assert.deepEqual(socket.framesOf("pull"), [{ t: "pull", conv: dm, after: 1 }]);
    assert.deepEqual(
      socket.framesOf("ack").map((a) => a.seq),
      [1],
      "never acks past the gap",
    );
    socket.deliver([msg(2), msg(3), msg(4), { t: "pulled", conv: dm, upTo: 4, more: false }]);
    await settle();
    assert.deepEqual(
      h.of("message").map((m) => m.seq),
      [1, 2, 3, 4],
    );
    assert.equal(socket.framesOf("ack").at(-1)?.seq, 4);
  });

  it("counts seqs of my own sends as stored, so they never look like gaps", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver(msg(1));
    const mine = await h.client.send({ conv: dm }, { type: "text", text: "mine" });
    await socket.waitFor((f) => f.t === "send");
    socket.deliver({ t: "sent", cid: mine.cid, conv: dm, id: "s2", seq: 2, ts: 1 });
    socket.deliver(msg(3));
    await settle();
    assert.deepEqual(socket.framesOf("pull"), []);
    assert.deepEqual(
      h.of("message").map((m) => m.seq),
      [1, 3],
    );
    assert.equal(socket.framesOf("ack").at(-1)?.seq, 3);
  });

  it("announces my messages from another device, and follows their ticks", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver(msg(1, dm, me.id));
    await settle();
    assert.deepEqual(
      h.of("message").map((m) => [m.seq, m.from, m.status]),
      [[1, me.id, "sent"]],
    );
    socket.deliver({ t: "receipt", conv: dm, user: bob.id, delivered: 1, read: 1 });
    await settle();
    assert.deepEqual(
      h.of("status").map((m) => [m.seq, m.status]),
      [[1, "read"]],
    );
  });

  it("emits synced after everything before it is stored, then typing and presence as they come", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    h.events.length = 0;
    socket.deliver([msg(1), msg(2), { t: "synced" }]);
    socket.deliver([
      { t: "typing", conv: dm, user: bob.id, on: true },
      { t: "presence", user: bob.id, online: true, lastSeen: 9 },
    ]);
    await settle();
    const names = h.events.map((e) => e[0]);
    assert.ok(names.indexOf("synced") > names.lastIndexOf("message"));
    assert.equal(h.of("typing")[0]?.on, true);
    assert.equal(h.of("presence")[0]?.online, true);
  });

  it("applies a receipt about me from another device to my read cursor", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver({ t: "receipt", conv: dm, user: me.id, delivered: 7, read: 6 });
    await settle();
    assert.equal((await h.client.cursors(dm)).read, 6);
    assert.equal(h.of("receipt").length, 1);
  });

  it("in groups, ticks follow group_receipt, not one member's receipt", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    const m = await h.client.send({ conv: "g:1" }, { type: "text", text: "hi all" });
    await socket.waitFor((f) => f.t === "send");
    socket.deliver({ t: "sent", cid: m.cid, conv: "g:1", id: "s1", seq: 1, ts: 1 });
    socket.deliver({ t: "receipt", conv: "g:1", user: bob.id, delivered: 1, read: 1 });
    await settle();
    assert.deepEqual(
      h.of("status").map((s) => s.status),
      ["sent"],
    );
    socket.deliver({ t: "group_receipt", conv: "g:1", delivered: 1, read: 0 });
    await settle();
    assert.deepEqual(
      h.of("status").map((s) => s.status),
      ["sent", "delivered"],
    );
    assert.equal(h.of("group_receipt").length, 1);
  });

  it("pulls what a notify announces", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.deliver({ t: "notify", conv: "g:big", seq: 2 });
    await settle();
    assert.deepEqual(socket.framesOf("pull"), [{ t: "pull", conv: "g:big", after: 0 }]);
    socket.deliver([
      msg(1, "g:big"),
      msg(2, "g:big"),
      { t: "pulled", conv: "g:big", upTo: 2, more: false },
    ]);
    await settle();
    assert.deepEqual(
      h.of("message").map((m) => m.seq),
      [1, 2],
    );
    await settle(150); // a group's ack waits for the group ack timer (100 ms by default)
    assert.equal(socket.framesOf("ack").at(-1)?.seq, 2);
  });

  it("acks a direct conversation at once, and a group once per ack delay, cumulatively", async () => {
    const h = await fakeClient({ groupAckDelayMs: 60 });
    const socket = await h.online();
    socket.deliver(msg(1, "g:crowd"));
    socket.deliver(msg(1, dm));
    await settle();
    assert.deepEqual(
      socket.framesOf("ack").map((a) => a.conv),
      [dm],
      "the direct ack went out, the group's waits",
    );
    socket.deliver(msg(2, "g:crowd"));
    socket.deliver(msg(3, "g:crowd"));
    await settle(100);
    const groupAcks = socket.framesOf("ack").filter((a) => a.conv === "g:crowd");
    assert.deepEqual(
      groupAcks.map((a) => a.seq),
      [3],
      "one ack for three messages",
    );
    assert.deepEqual(
      h.of("message").map((m) => `${m.conv}:${m.seq}`),
      ["g:crowd:1", `${dm}:1`, "g:crowd:2", "g:crowd:3"],
      "the messages themselves were not held back",
    );
  });

  it("acks nothing a failed write did not store, and recovers through the server's resend", async () => {
    const storage = new MemoryStorage();
    let failNext = false;
    const write = storage.write.bind(storage);
    storage.write = async (batch: StorageBatch) => {
      if (failNext && batch.messages !== undefined && batch.messages.length > 0) {
        failNext = false;
        throw new Error("disk full");
      }
      return write(batch);
    };
    const h = await fakeClient({ storage });
    const first = await h.online();
    first.deliver(msg(1));
    await settle();
    failNext = true;
    first.deliver(msg(2));
    await settle();
    assert.deepEqual(
      first.framesOf("ack").map((a) => a.seq),
      [1],
      "2 was not stored, so not acked",
    );
    assert.equal(h.of("error")[0]?.code, "storage");
    assert.ok(first.closedWith, "the connection restarts so that the server resends");
    const second = await h.online();
    second.deliver(msg(2));
    await settle();
    assert.deepEqual(
      h.of("message").map((m) => m.seq),
      [1, 2],
    );
    assert.equal(second.framesOf("ack").at(-1)?.seq, 2);
  });

  it("restores cursors and my unread messages after a restart", async () => {
    const storage = new MemoryStorage();
    const first = await fakeClient({ storage });
    const s1 = await first.online();
    s1.deliver(msg(1));
    const m = await first.client.send({ conv: dm }, { type: "text", text: "before restart" });
    await s1.waitFor((f) => f.t === "send");
    s1.deliver({ t: "sent", cid: m.cid, conv: dm, id: "s2", seq: 2, ts: 1 });
    await settle();
    first.client.disconnect();

    const second = await fakeClient({ storage });
    const s2 = await second.online();
    s2.deliver(msg(1));
    await settle();
    assert.deepEqual(second.of("message"), [], "1 is known from storage");
    s2.deliver({ t: "receipt", conv: dm, user: bob.id, delivered: 2, read: 2 });
    await settle();
    assert.deepEqual(
      second.of("status").map((s) => [s.cid, s.status]),
      [[m.cid, "read"]],
      "a message sent before the restart gets its blue ticks",
    );
    assert.equal((await storage.listMessages(dm, { limit: 5 }))[1]?.status, "read");
  });

  it("reports auth failure and stops", async () => {
    const h = await fakeClient();
    const socket = await h.online();
    socket.serverClose(4003, "revoked");
    await settle(20);
    assert.deepEqual(h.of("auth_failed"), [{ code: 4003, reason: "revoked" }]);
    assert.equal(h.network.sockets.length, 1);
    assert.equal(h.client.state, "offline");
  });

  it("reports the state changes of the connection", async () => {
    const h = await fakeClient();
    await h.online();
    assert.deepEqual(h.of("state"), ["connecting", "authenticating", "syncing", "online"]);
  });
});
