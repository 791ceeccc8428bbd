import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Store } from "../../src/store/store.ts";
import {
  device,
  type MakeStore,
  type Party,
  pair,
  range,
  send,
  seqs,
  withStore,
} from "./fixture.ts";

function ack(store: Store, conv: string, who: Party, delivered: number, deviceId = who.device.id) {
  return store.moveCursors([{ conversationId: conv, userId: who.user.id, deviceId, delivered }]);
}

async function left(store: Store, conv: string): Promise<number[]> {
  return seqs(await store.messagesAfter(conv, 0, 1000));
}

export function pruneContract(make: MakeStore): void {
  describe("relay-mode pruning", () => {
    it("deletes what every other device acked; the sending device is exempt", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        for (let i = 1; i <= 3; i++) await send(store, conv, alice, `a${i}`);
        assert.equal(await store.pruneDelivered(conv), 0, "bob has nothing yet");
        await ack(store, conv, bob, 2);
        // Alice's phone never acked its own messages: it does not need to.
        assert.equal(await store.pruneDelivered(conv), 2);
        assert.deepEqual(await left(store, conv), [3]);
        assert.equal(await store.pruneDelivered(conv), 0, "nothing more to delete");
      }));

    it("lets a new device without a cursor block pruning until it acks", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        await send(store, conv, alice, "a1");
        const laptop = await device(store, bob.user.id, "laptop");
        await send(store, conv, alice, "a2");
        await ack(store, conv, bob, 2);
        assert.equal(await store.pruneDelivered(conv), 0, "the laptop has acked nothing");
        await ack(store, conv, bob, 1, laptop.id);
        assert.equal(await store.pruneDelivered(conv), 1);
        await ack(store, conv, bob, 2, laptop.id);
        assert.equal(await store.pruneDelivered(conv), 1);
        assert.deepEqual(await left(store, conv), []);
        // The log's numbering goes on after pruning everything.
        assert.equal((await send(store, conv, alice, "a3")).message.seq, 3);
      }));

    it("needs the sender's other devices to ack", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const tablet = await device(store, alice.user.id, "tablet");
        await send(store, conv, alice, "a1");
        await ack(store, conv, bob, 1);
        assert.equal(await store.pruneDelivered(conv), 0, "alice's tablet has not got it");
        await ack(store, conv, alice, 1, tablet.id);
        assert.equal(await store.pruneDelivered(conv), 1);
      }));

    it("ignores revoked devices", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const laptop = await device(store, bob.user.id, "laptop");
        for (let i = 1; i <= 3; i++) await send(store, conv, alice, `a${i}`);
        await ack(store, conv, bob, 3);
        assert.equal(await store.pruneDelivered(conv), 0);
        assert.equal(await store.revokeDevice(bob.user.id, laptop.id), true);
        assert.equal(await store.pruneDelivered(conv), 3);
      }));

    it("handles the lowest device's own messages (mixed senders)", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        await send(store, conv, alice, "a1"); // 1
        await send(store, conv, bob, "b1"); // 2
        await send(store, conv, alice, "a2"); // 3
        await ack(store, conv, bob, 1);
        await ack(store, conv, alice, 2);
        // Bob's phone is lowest (1): a1 goes; b1 goes too, being bob's own and alice has it;
        // a2 stays until bob has it.
        assert.equal(await store.pruneDelivered(conv), 2);
        assert.deepEqual(await left(store, conv), [3]);
        await ack(store, conv, bob, 3);
        assert.equal(await store.pruneDelivered(conv), 1);
        assert.deepEqual(await left(store, conv), []);
      }));

    it("keeps messages for a member signed out everywhere, past their member cursor", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        for (let i = 1; i <= 3; i++) await send(store, conv, alice, `a${i}`);
        await ack(store, conv, bob, 1);
        assert.equal(await store.revokeDevice(bob.user.id, bob.device.id), true);
        assert.equal(await store.pruneDelivered(conv), 1);
        assert.deepEqual(await left(store, conv), [2, 3], "kept for bob's next device");
      }));

    it("still recognises a pruned message's retry as a duplicate", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const first = await send(store, conv, alice, "dup", "hello");
        await send(store, conv, bob, "b1");
        await ack(store, conv, bob, 2);
        await ack(store, conv, alice, 2);
        assert.equal(await store.pruneDelivered(conv), 2);

        const retry = await send(store, conv, alice, "dup", "hello");
        assert.equal(retry.duplicate, true);
        assert.equal(retry.message.id, first.message.id);
        assert.equal(retry.message.seq, first.message.seq);
        assert.equal(retry.message.ts, first.message.ts);
        assert.equal(retry.message.conversationId, conv);
        assert.deepEqual(retry.message.content, first.message.content);
        assert.deepEqual(await left(store, conv), [], "nothing new stored");
        assert.equal((await store.conversationsOf(alice.user.id))[0]?.lastSeq, 2);
        assert.deepEqual(seqs([(await send(store, conv, alice, "new")).message]), range(3, 3));
      }));

    it("forgets pruned messages' keys stored before a time, oldest first; a retry is then new", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const first = await send(store, conv, alice, "k1", "one");
        await new Promise((resolve) => setTimeout(resolve, 5)); // a later ts for the second
        const second = await send(store, conv, alice, "k2", "two");
        await ack(store, conv, bob, 2);
        assert.equal(await store.pruneDelivered(conv), 2);
        assert.equal(await store.expireSentCids(first.message.ts, 10), 0, "none older than k1");
        assert.equal(await store.expireSentCids(second.message.ts + 1, 1), 1, "k1 goes first");

        const k2 = await send(store, conv, alice, "k2", "two");
        assert.equal(k2.duplicate, true, "k2 is still known");
        assert.equal(k2.message.id, second.message.id);
        const k1 = await send(store, conv, alice, "k1", "one");
        assert.equal(k1.duplicate, false, "k1 is forgotten: its retry is a new message");
        assert.equal(k1.message.seq, 3);
        assert.equal(await store.expireSentCids(second.message.ts + 1, 10), 1, "then k2");
      }));
  });
}
