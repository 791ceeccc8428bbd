import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { directConversationId } from "@courier/protocol";
import type { AppendResult } from "../../src/store/store.ts";
import {
  type MakeStore,
  type Party,
  pair,
  party,
  range,
  send,
  seqs,
  withStore,
} from "./fixture.ts";

export function messagesContract(make: MakeStore): void {
  describe("messages", () => {
    it("stores a message with server id, seq and time, and reads it back", () =>
      withStore(make, async ({ store }) => {
        const { alice, conv } = await pair(store);
        const before = Date.now();
        const { message, duplicate } = await send(store, conv, alice, "c-1", "hello 👋");
        assert.equal(duplicate, false);
        assert.equal(message.seq, 1);
        assert.equal(message.conversationId, conv);
        assert.equal(message.senderId, alice.user.id);
        assert.equal(message.senderDeviceId, alice.device.id);
        assert.equal(message.cid, "c-1");
        assert.match(message.id, /^[A-Za-z0-9_-]{8,}$/);
        assert.ok(message.ts >= before && message.ts <= Date.now());
        assert.deepEqual(await store.messagesAfter(conv, 0, 10), [message]);
      }));

    it("gives gap-free seqs in call order per sender under 1,000 concurrent appends", () =>
      withStore(make, async ({ store }) => {
        const hub = await party(store, "hub");
        const spokes: Party[] = [];
        for (let i = 0; i < 5; i++) spokes.push(await party(store, `spoke${i}`));
        const convs: string[] = [];
        for (const s of spokes) {
          const conv = directConversationId(hub.user.id, s.user.id);
          await store.ensureDirectConversation(conv, hub.user.id, s.user.id);
          convs.push(conv);
        }
        // 1,000 appends in flight at once: in each conversation both members send, interleaved.
        const calls: { conv: string; from: Party; n: number; result: Promise<AppendResult> }[] = [];
        for (let n = 0; n < 1000; n++) {
          const k = n % 5;
          const conv = convs[k] as string;
          const from = n % 2 === 0 ? hub : (spokes[k] as Party);
          calls.push({ conv, from, n, result: send(store, conv, from, `cid-${n}`, `text ${n}`) });
        }
        const results = await Promise.all(calls.map((c) => c.result));
        assert.ok(results.every((r) => !r.duplicate));
        assert.equal(new Set(results.map((r) => r.message.id)).size, 1000, "ids are unique");

        for (const conv of convs) {
          const stored = await store.messagesAfter(conv, 0, 5000);
          assert.deepEqual(seqs(stored), range(1, 200), `${conv}: seqs 1..200, ascending`);
          // What the store returned is what it stored.
          const returned = results.filter((r) => r.message.conversationId === conv);
          assert.deepEqual(
            stored,
            returned.map((r) => r.message).sort((a, b) => a.seq - b.seq),
          );
        }
        // Per (sender, conversation), seqs follow the order of the calls.
        for (const conv of convs) {
          for (const from of [hub, ...spokes]) {
            const mine = calls
              .map((c, i) => ({ c, r: results[i] as AppendResult }))
              .filter(({ c }) => c.conv === conv && c.from === from);
            const order = mine.map(({ r }) => r.message.seq);
            assert.deepEqual(
              order,
              [...order].sort((a, b) => a - b),
            );
          }
        }
        const [row] = await store.conversationsOf(spokes[0]?.user.id as string);
        assert.equal(row?.lastSeq, 200);
      }));

    it("is idempotent on (sender, cid): a retry returns the first message and stores nothing", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const first = await send(store, conv, alice, "same", "once");
        await send(store, conv, bob, "other");
        const retry = await send(store, conv, alice, "same", "once");
        assert.equal(retry.duplicate, true);
        assert.deepEqual(retry.message, first.message);

        // Racing retries in one batch: one stores, the others are duplicates of it.
        const raced = await Promise.all(range(1, 5).map(() => send(store, conv, bob, "race")));
        assert.equal(raced.filter((r) => !r.duplicate).length, 1);
        assert.equal(new Set(raced.map((r) => r.message.id)).size, 1);

        // The same cid from another sender is a different message.
        const bobs = await send(store, conv, bob, "same");
        assert.equal(bobs.duplicate, false);

        assert.deepEqual(seqs(await store.messagesAfter(conv, 0, 100)), [1, 2, 3, 4]);
        assert.equal((await store.conversationsOf(alice.user.id))[0]?.lastSeq, 4);
      }));

    it("pages forward with messagesAfter and backward with messagesBefore", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        for (let i = 1; i <= 25; i++) await send(store, conv, i % 3 ? alice : bob, `m${i}`);

        assert.deepEqual(seqs(await store.messagesAfter(conv, 0, 10)), range(1, 10));
        assert.deepEqual(seqs(await store.messagesAfter(conv, 10, 10)), range(11, 20));
        assert.deepEqual(seqs(await store.messagesAfter(conv, 20, 10)), range(21, 25));
        assert.deepEqual(await store.messagesAfter(conv, 25, 10), []);

        assert.deepEqual(seqs(await store.messagesBefore(conv, 26, 10)), range(16, 25));
        assert.deepEqual(seqs(await store.messagesBefore(conv, 16, 10)), range(6, 15));
        assert.deepEqual(seqs(await store.messagesBefore(conv, 6, 10)), range(1, 5));
        assert.deepEqual(await store.messagesBefore(conv, 1, 10), []);
        assert.deepEqual(seqs(await store.messagesBefore(conv, 1000, 3)), [23, 24, 25]);

        const [m7] = await store.messagesAfter(conv, 6, 1);
        assert.equal(m7?.cid, "m7");
        assert.deepEqual(m7?.content, { type: "text", text: "m7" });
        assert.deepEqual(await store.messagesAfter("no-such-conversation", 0, 10), []);
      }));

    it("keeps conversations' logs apart", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const carol = await party(store, "carol");
        const other = directConversationId(alice.user.id, carol.user.id);
        await store.ensureDirectConversation(other, alice.user.id, carol.user.id);
        await send(store, conv, alice, "x1");
        await send(store, other, alice, "y1");
        await send(store, conv, bob, "x2");
        assert.deepEqual(
          (await store.messagesAfter(conv, 0, 10)).map((m) => [m.seq, m.cid]),
          [
            [1, "x1"],
            [2, "x2"],
          ],
        );
        assert.deepEqual(
          (await store.messagesAfter(other, 0, 10)).map((m) => [m.seq, m.cid]),
          [[1, "y1"]],
        );
      }));
  });
}
