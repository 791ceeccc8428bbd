import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { directConversationId } from "@courier/protocol";
import { StoreConflictError } from "../../src/store/store.ts";
import { type MakeStore, pair, party, range, send, seqs, user, withStore } from "./fixture.ts";

export function batchingContract(make: MakeStore): void {
  describe("batches and durability", () => {
    it("does not let a failing request spoil the others of its batch", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const ghostConv = directConversationId(alice.user.id, "ghost-user");
        // All issued in the same tick, so a batching store commits them together.
        const [ok1, taken, noConv, noUser, ok2, okUser, cursor] = await Promise.allSettled([
          send(store, conv, alice, "m1"),
          store.createUser({ username: "bob", displayName: "B2", passwordHash: "x" }),
          send(store, "no-such-conversation", alice, "m-lost"),
          store.ensureDirectConversation(ghostConv, alice.user.id, "ghost-user"),
          send(store, conv, bob, "m2"),
          user(store, "carol"),
          store.moveCursors([
            { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id, delivered: 1 },
          ]),
        ]);
        assert.equal(ok1.status, "fulfilled");
        assert.equal(ok2.status, "fulfilled");
        assert.equal(okUser.status, "fulfilled");
        assert.equal(cursor.status, "fulfilled");
        assert.equal(taken.status, "rejected");
        assert.ok(taken.status === "rejected" && taken.reason instanceof StoreConflictError);
        assert.equal(noConv.status, "rejected", "appending to a missing conversation fails");
        assert.equal(noUser.status, "rejected", "a conversation with an unknown user fails");

        assert.deepEqual(
          (await store.messagesAfter(conv, 0, 10)).map((m) => m.cid),
          ["m1", "m2"],
        );
        assert.equal((await store.userByName("bob"))?.id, bob.user.id);
        assert.ok(await store.userByName("carol"));
        // The failed conversation left nothing half-made behind.
        assert.equal(await store.membersOf(ghostConv), undefined);
        assert.deepEqual(await store.contactsOf(alice.user.id), [bob.user.id]);
        assert.equal((await store.conversationsOf(bob.user.id))[0]?.delivered, 1);
      }));

    it("keeps everything across close and reopen", async (t) => {
      await withStore(make, async ({ store, reopen }) => {
        if (reopen === undefined) {
          t.skip("this factory cannot reopen its store");
          return;
        }
        const { alice, bob, conv } = await pair(store);
        const carol = await party(store, "carol");
        await store.setDisplayName(alice.user.id, "Alice L.");
        await store.revokeDevice(carol.user.id, carol.device.id);
        for (let i = 1; i <= 10; i++) await send(store, conv, i % 2 ? alice : bob, `m${i}`);
        await store.moveCursors([
          {
            conversationId: conv,
            userId: bob.user.id,
            deviceId: bob.device.id,
            delivered: 9,
            read: 7,
          },
        ]);
        const before = await store.conversationsOf(alice.user.id);
        const messages = await store.messagesAfter(conv, 0, 100);

        const again = await reopen();
        assert.equal((await again.userById(alice.user.id))?.displayName, "Alice L.");
        assert.deepEqual(await again.devicesOf(carol.user.id), []);
        assert.deepEqual(await again.deviceByTokenHash("nope"), undefined);
        assert.deepEqual(await again.messagesAfter(conv, 0, 100), messages);
        assert.deepEqual(await again.conversationsOf(alice.user.id), before);
        // The log continues where it stopped, and dedupe keys survived.
        assert.equal((await send(again, conv, alice, "m1")).duplicate, true);
        assert.equal((await send(again, conv, alice, "m11")).message.seq, 11);
        assert.deepEqual(seqs(await again.messagesAfter(conv, 0, 100)), range(1, 11));
      });
    });
  });
}
