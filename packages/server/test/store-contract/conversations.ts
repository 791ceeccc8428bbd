import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { directConversationId } from "@courier/protocol";
import { type MakeStore, pair, party, send, sleep, user, withStore } from "./fixture.ts";

export function conversationsContract(make: MakeStore): void {
  describe("conversations", () => {
    it("creates a direct conversation idempotently, also when two calls race", () =>
      withStore(make, async ({ store }) => {
        const alice = await user(store, "alice");
        const bob = await user(store, "bob");
        const conv = directConversationId(alice.id, bob.id);
        assert.equal(await store.membersOf(conv), undefined);

        await Promise.all([
          store.ensureDirectConversation(conv, alice.id, bob.id),
          store.ensureDirectConversation(conv, bob.id, alice.id),
        ]);
        await store.ensureDirectConversation(conv, alice.id, bob.id);
        assert.deepEqual((await store.membersOf(conv))?.sort(), [alice.id, bob.id].sort());
        assert.equal((await store.conversationsOf(alice.id)).length, 1);

        // Creating it again does not reset its log.
        const a = {
          user: alice,
          device: await store.createDevice({ userId: alice.id, name: "p", tokenHash: "t" }),
        };
        await send(store, conv, a, "m1");
        await store.ensureDirectConversation(conv, alice.id, bob.id);
        assert.equal((await store.conversationsOf(bob.id))[0]?.lastSeq, 1);
      }));

    it("lists contacts: the users sharing a direct conversation", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob } = await pair(store);
        const carol = await party(store, "carol");
        const dave = await party(store, "dave");
        await store.ensureDirectConversation(
          directConversationId(alice.user.id, carol.user.id),
          alice.user.id,
          carol.user.id,
        );
        assert.deepEqual(
          (await store.contactsOf(alice.user.id)).sort(),
          [bob.user.id, carol.user.id].sort(),
        );
        assert.deepEqual(await store.contactsOf(bob.user.id), [alice.user.id]);
        assert.deepEqual(await store.contactsOf(dave.user.id), []);
      }));

    it("summarises the user's conversations: newest activity first, last message, unread", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv: ab } = await pair(store);
        const carol = await party(store, "carol");
        const ac = directConversationId(alice.user.id, carol.user.id);
        await store.ensureDirectConversation(ac, alice.user.id, carol.user.id);
        await sleep(3);

        // ab: bob 3, alice 1; then ac: carol 1. ac is newer.
        await send(store, ab, bob, "b1");
        await send(store, ab, bob, "b2");
        await send(store, ab, alice, "a1");
        await send(store, ab, bob, "b3");
        await sleep(3);
        await send(store, ac, carol, "c1");
        await store.moveCursors([
          {
            conversationId: ab,
            userId: alice.user.id,
            deviceId: alice.device.id,
            delivered: 4,
            read: 1,
          },
          {
            conversationId: ab,
            userId: bob.user.id,
            deviceId: bob.device.id,
            delivered: 3,
            read: 2,
          },
        ]);

        const rows = await store.conversationsOf(alice.user.id);
        assert.deepEqual(
          rows.map((r) => r.id),
          [ac, ab],
        );
        const [rowAc, rowAb] = rows;
        assert.ok(rowAc && rowAb);
        assert.equal(rowAb.kind, "direct");
        assert.deepEqual([...rowAb.members].sort(), [alice.user.id, bob.user.id].sort());
        assert.equal(rowAb.lastSeq, 4);
        assert.equal(rowAb.lastMessage?.cid, "b3");
        assert.equal(rowAb.lastMessage?.seq, 4);
        assert.deepEqual(rowAb.lastMessage?.content, { type: "text", text: "b3" });
        assert.equal(rowAb.delivered, 4);
        assert.equal(rowAb.read, 1);
        // Above read=1: b2 and b3 from bob count, alice's own a1 does not.
        assert.equal(rowAb.unread, 2);
        assert.deepEqual(rowAb.others, [
          { conversationId: ab, userId: bob.user.id, delivered: 3, read: 2 },
        ]);
        assert.equal(rowAc.unread, 1);
        assert.equal(rowAc.read, 0);
        assert.deepEqual(rowAc.others, [
          { conversationId: ac, userId: carol.user.id, delivered: 0, read: 0 },
        ]);

        // New activity in ab moves it to the top; reading everything clears unread.
        await sleep(3);
        await send(store, ab, bob, "b4");
        await store.moveCursors([
          { conversationId: ab, userId: alice.user.id, deviceId: alice.device.id, read: 5 },
        ]);
        const again = await store.conversationsOf(alice.user.id);
        assert.deepEqual(
          again.map((r) => [r.id, r.unread]),
          [
            [ab, 0],
            [ac, 1],
          ],
        );
        // Bob's view: alice's a1 (seq 3) is his only unread; his own messages never count.
        const bobs = await store.conversationsOf(bob.user.id);
        assert.equal(bobs.length, 1);
        assert.equal(bobs[0]?.unread, 1);
      }));

    it("shows a conversation without messages with lastSeq 0 and no last message", () =>
      withStore(make, async ({ store }) => {
        const { alice, conv } = await pair(store);
        const [row] = await store.conversationsOf(alice.user.id);
        assert.equal(row?.id, conv);
        assert.equal(row?.lastSeq, 0);
        assert.equal(row?.lastMessage, null);
        assert.equal(row?.unread, 0);
        assert.deepEqual(await store.conversationsOf("nobody"), []);
      }));
  });
}
