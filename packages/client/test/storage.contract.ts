import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConversationSummary } from "@courier/protocol";
import type { ClientStorage, ConversationCursors } from "../src/storage.ts";
import type { LocalMessage, Session } from "../src/types.ts";

/**
 * The contract every `ClientStorage` adapter must pass (MemoryStorage here; IndexedDB in the web
 * app, SQLite in the native app). `makeStorage` returns a fresh, empty storage per test; pass
 * `reopen` when the adapter persists, to check that data survives a new instance.
 */
export function runStorageContract(
  name: string,
  makeStorage: () => ClientStorage | Promise<ClientStorage>,
  options: { reopen?: (old: ClientStorage) => ClientStorage | Promise<ClientStorage> } = {},
): void {
  describe(`ClientStorage contract: ${name}`, () => {
    it("keeps, replaces and removes the session", async () => {
      const s = await makeStorage();
      assert.equal(await s.loadSession(), undefined);
      await s.saveSession(session("t1"));
      assert.deepEqual(await s.loadSession(), session("t1"));
      await s.saveSession(session("t2"));
      assert.deepEqual(await s.loadSession(), session("t2"));
      await s.saveSession(undefined);
      assert.equal(await s.loadSession(), undefined);
    });

    it("keeps outbox entries in first-put order; upserts keep their place", async () => {
      const s = await makeStorage();
      await s.write({ outbox: [pending("a"), pending("b")] });
      await s.write({ outbox: [pending("c")] });
      await s.write({ outbox: [{ ...pending("a"), status: "failed", error: "not_member" }] });
      const loaded = await s.loadOutbox();
      assert.deepEqual(
        loaded.map((m) => [m.cid, m.status]),
        [
          ["a", "failed"],
          ["b", "pending"],
          ["c", "pending"],
        ],
      );
      assert.deepEqual(loaded[0], { ...pending("a"), status: "failed", error: "not_member" });
    });

    it("deletes outbox entries, ignoring unknown cids", async () => {
      const s = await makeStorage();
      await s.write({ outbox: [pending("a"), pending("b")] });
      await s.write({ outboxDelete: ["a", "zzz"] });
      assert.deepEqual(
        (await s.loadOutbox()).map((m) => m.cid),
        ["b"],
      );
    });

    it("pages messages per conversation: newest below a seq, or oldest above one", async () => {
      const s = await makeStorage();
      await s.write({ messages: [1, 2, 3, 4, 5].map((n) => stored("c", n)) });
      await s.write({ messages: [stored("other", 1)] });
      const seqs = (list: LocalMessage[]) => list.map((m) => m.seq);
      assert.deepEqual(seqs(await s.listMessages("c", { limit: 2 })), [4, 5]);
      assert.deepEqual(seqs(await s.listMessages("c", { limit: 10 })), [1, 2, 3, 4, 5]);
      assert.deepEqual(seqs(await s.listMessages("c", { beforeSeq: 4, limit: 2 })), [2, 3]);
      assert.deepEqual(seqs(await s.listMessages("c", { beforeSeq: 1, limit: 2 })), []);
      assert.deepEqual(seqs(await s.listMessages("c", { afterSeq: 2, limit: 2 })), [3, 4]);
      assert.deepEqual(seqs(await s.listMessages("c", { afterSeq: 5, limit: 2 })), []);
      assert.deepEqual(seqs(await s.listMessages("nope", { limit: 2 })), []);
      assert.deepEqual(await s.listMessages("other", { limit: 5 }), [stored("other", 1)]);
    });

    it("orders messages by seq whatever the write order, and upserts by (conv, seq)", async () => {
      const s = await makeStorage();
      await s.write({ messages: [stored("c", 3), stored("c", 1)] });
      await s.write({ messages: [stored("c", 2)] });
      await s.write({ messages: [{ ...stored("c", 2), status: "read" }] });
      const all = await s.listMessages("c", { limit: 10 });
      assert.deepEqual(
        all.map((m) => [m.seq, m.status]),
        [
          [1, "received"],
          [2, "read"],
          [3, "received"],
        ],
      );
    });

    it("applies a batch atomically: a bad part leaves everything unchanged", async () => {
      const s = await makeStorage();
      await s.write({ outbox: [pending("a")] });
      const bad = { ...pending("b") } as LocalMessage; // a message without seq is invalid
      await assert.rejects(
        s.write({
          outboxDelete: ["a"],
          cursors: [cursors("c", 9)],
          messages: [stored("c", 1), bad],
        }),
      );
      assert.deepEqual(
        (await s.loadOutbox()).map((m) => m.cid),
        ["a"],
      );
      assert.deepEqual(await s.loadCursors(), []);
      assert.deepEqual(await s.listMessages("c", { limit: 5 }), []);
    });

    it("moves a message from the outbox to the messages in one write", async () => {
      const s = await makeStorage();
      await s.write({ outbox: [pending("a")] });
      await s.write({ outboxDelete: ["a"], messages: [{ ...stored("c", 1), cid: "a" }] });
      assert.deepEqual(await s.loadOutbox(), []);
      assert.equal((await s.listMessages("c", { limit: 1 }))[0]?.cid, "a");
    });

    it("upserts cursors by conversation", async () => {
      const s = await makeStorage();
      await s.write({ cursors: [cursors("a", 1), cursors("b", 2)] });
      await s.write({ cursors: [cursors("a", 5)] });
      const all = (await s.loadCursors()).sort((x, y) => x.conv.localeCompare(y.conv));
      assert.deepEqual(all, [cursors("a", 5), cursors("b", 2)]);
    });

    it("applies writes in call order", async () => {
      const s = await makeStorage();
      const writes = [];
      for (let n = 1; n <= 20; n++) writes.push(s.write({ cursors: [cursors("a", n)] }));
      await Promise.all(writes);
      assert.deepEqual(await s.loadCursors(), [cursors("a", 20)]);
    });

    it("caches the conversation list", async () => {
      const s = await makeStorage();
      assert.deepEqual(await s.loadConversations(), []);
      await s.saveConversations([summary("c1"), summary("c2")]);
      assert.deepEqual(
        (await s.loadConversations()).map((c) => c.id),
        ["c1", "c2"],
      );
    });

    it("clear() removes everything", async () => {
      const s = await makeStorage();
      await s.saveSession(session("t"));
      await s.write({
        outbox: [pending("a")],
        messages: [stored("c", 1)],
        cursors: [cursors("c", 1)],
      });
      await s.saveConversations([summary("c")]);
      await s.clear();
      assert.equal(await s.loadSession(), undefined);
      assert.deepEqual(await s.loadOutbox(), []);
      assert.deepEqual(await s.listMessages("c", { limit: 5 }), []);
      assert.deepEqual(await s.loadCursors(), []);
      assert.deepEqual(await s.loadConversations(), []);
    });

    if (options.reopen !== undefined) {
      const reopen = options.reopen;
      it("keeps everything across a reopen", async () => {
        const s = await makeStorage();
        await s.saveSession(session("t"));
        await s.write({
          outbox: [pending("a")],
          messages: [stored("c", 1)],
          cursors: [cursors("c", 1)],
        });
        const again = await reopen(s);
        assert.deepEqual(await again.loadSession(), session("t"));
        assert.deepEqual(await again.loadOutbox(), [pending("a")]);
        assert.deepEqual(await again.listMessages("c", { limit: 5 }), [stored("c", 1)]);
        assert.deepEqual(await again.loadCursors(), [cursors("c", 1)]);
      });
    }
  });
}

function session(token: string): Session {
  return { token, user: { id: "u1", username: "ann", displayName: "Ann" }, deviceId: "d1" };
}

function pending(cid: string): LocalMessage {
  return {
    conv: "c",
    cid,
    from: "u1",
    ts: 1000,
    content: { type: "text", text: `text ${cid}` },
    status: "pending",
  };
}

function stored(conv: string, seq: number): LocalMessage {
  return {
    conv,
    cid: `${conv}-${seq}`,
    id: `id-${conv}-${seq}`,
    seq,
    from: "u2",
    ts: 1000 + seq,
    content: { type: "text", text: `message ${seq}` },
    status: "received",
  };
}

function cursors(conv: string, stored: number): ConversationCursors {
  return { conv, stored, read: stored - 1, peerDelivered: 0, peerRead: 0 };
}

function summary(id: string): ConversationSummary {
  return {
    id,
    kind: "direct",
    title: "Bob",
    memberCount: 2,
    peer: { id: "u2", username: "bob", displayName: "Bob", online: false, lastSeen: 0 },
    lastSeq: 0,
    lastMessage: null,
    unread: 0,
    readSeq: 0,
    peerDelivered: 0,
    peerRead: 0,
  };
}
