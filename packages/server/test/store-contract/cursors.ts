import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { directConversationId } from "@courier/protocol";
import {
  device,
  type MakeStore,
  type Party,
  pair,
  party,
  range,
  send,
  sleep,
  withStore,
} from "./fixture.ts";

const none = { direct: [], groups: [] };

export function cursorsContract(make: MakeStore): void {
  describe("cursors and receipts", () => {
    it("moves cursors forward only and returns each advanced member cursor once", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        for (let i = 1; i <= 5; i++) await send(store, conv, alice, `m${i}`);
        const move = (delivered?: number, read?: number) =>
          store.moveCursors([
            { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id, delivered, read },
          ]);

        assert.deepEqual(await move(3), [
          { conversationId: conv, userId: bob.user.id, delivered: 3, read: 0 },
        ]);
        assert.deepEqual(await move(3), [], "same value: nothing advanced");
        assert.deepEqual(await move(2, 0), [], "lower value: a no-op");
        assert.deepEqual(await move(undefined, 2), [
          { conversationId: conv, userId: bob.user.id, delivered: 3, read: 2 },
        ]);
        assert.deepEqual(await move(1, 1), []);
        const [row] = await store.conversationsOf(bob.user.id);
        assert.equal(row?.delivered, 3);
        assert.equal(row?.read, 2);

        // Several moves of one member in one call: reported once, with the final value.
        const many = await store.moveCursors([
          { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id, delivered: 4 },
          {
            conversationId: conv,
            userId: bob.user.id,
            deviceId: bob.device.id,
            delivered: 5,
            read: 4,
          },
          { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id, delivered: 1 },
        ]);
        assert.deepEqual(many, [
          { conversationId: conv, userId: bob.user.id, delivered: 5, read: 4 },
        ]);
        assert.deepEqual(await store.moveCursors([]), []);
      }));

    it("keeps the member cursor at the max over the member's devices", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const laptop = await device(store, bob.user.id, "laptop");
        for (let i = 1; i <= 6; i++) await send(store, conv, alice, `m${i}`);
        const at = (deviceId: string, delivered: number) =>
          store.moveCursors([{ conversationId: conv, userId: bob.user.id, deviceId, delivered }]);

        assert.equal((await at(bob.device.id, 4))[0]?.delivered, 4);
        assert.deepEqual(await at(laptop.id, 2), [], "the laptop is behind the phone");
        assert.equal((await pendingOf(laptop.id))?.delivered, 2, "but its own cursor moved");
        assert.equal((await at(laptop.id, 6))[0]?.delivered, 6);
        assert.deepEqual(await at(bob.device.id, 5), []);

        async function pendingOf(deviceId: string) {
          return (await store.pendingFor(bob.user.id, deviceId)).find(
            (p) => p.conversationId === conv,
          );
        }
      }));

    it("clamps moves to the last seq and ignores moves of non-members", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const mallory = await party(store, "mallory");
        await send(store, conv, alice, "m1");
        await send(store, conv, alice, "m2");
        assert.deepEqual(
          await store.moveCursors([
            {
              conversationId: conv,
              userId: bob.user.id,
              deviceId: bob.device.id,
              delivered: 99,
              read: 99,
            },
          ]),
          [{ conversationId: conv, userId: bob.user.id, delivered: 2, read: 2 }],
        );
        // Later messages are still pending for bob's device, not acked in advance.
        await send(store, conv, alice, "m3");
        assert.deepEqual(await store.pendingFor(bob.user.id, bob.device.id), [
          { conversationId: conv, delivered: 2, lastSeq: 3 },
        ]);

        assert.deepEqual(
          await store.moveCursors([
            {
              conversationId: conv,
              userId: mallory.user.id,
              deviceId: mallory.device.id,
              delivered: 3,
            },
            {
              conversationId: "no-such-conversation",
              userId: bob.user.id,
              deviceId: bob.device.id,
              delivered: 1,
            },
          ]),
          [],
        );
        assert.deepEqual(
          (await store.conversationsOf(alice.user.id))[0]?.others.map((o) => o.userId),
          [bob.user.id],
        );
      }));

    it("lists the conversations a device has not fully received", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        const carol = await party(store, "carol");
        const { conv: bc } = await pairWith(bob, carol);
        assert.deepEqual(await store.pendingFor(bob.user.id, bob.device.id), [], "no messages yet");

        await send(store, conv, alice, "a1");
        await send(store, conv, alice, "a2");
        await send(store, bc, carol, "c1");
        const pending = await store.pendingFor(bob.user.id, bob.device.id);
        assert.deepEqual(
          pending.sort((x, y) => x.conversationId.localeCompare(y.conversationId)),
          [
            { conversationId: conv, delivered: 0, lastSeq: 2 },
            { conversationId: bc, delivered: 0, lastSeq: 1 },
          ].sort((x, y) => x.conversationId.localeCompare(y.conversationId)),
        );

        await store.moveCursors([
          { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id, delivered: 2 },
          { conversationId: bc, userId: bob.user.id, deviceId: bob.device.id, delivered: 1 },
        ]);
        assert.deepEqual(await store.pendingFor(bob.user.id, bob.device.id), []);
        // A second device of bob's that never acked still has everything pending.
        const laptop = await device(store, bob.user.id, "laptop");
        assert.equal((await store.pendingFor(bob.user.id, laptop.id)).length, 2);

        await send(store, conv, alice, "a3");
        assert.deepEqual(await store.pendingFor(bob.user.id, bob.device.id), [
          { conversationId: conv, delivered: 2, lastSeq: 3 },
        ]);

        async function pairWith(a: typeof bob, b: typeof carol) {
          const id = directConversationId(a.user.id, b.user.id);
          await store.ensureDirectConversation(id, a.user.id, b.user.id);
          return { conv: id };
        }
      }));

    it("returns other members' cursors that changed since a time", () =>
      withStore(make, async ({ store }) => {
        const { alice, bob, conv } = await pair(store);
        for (let i = 1; i <= 3; i++) await send(store, conv, alice, `m${i}`);
        await sleep(3);
        const since = Date.now();
        await sleep(3);
        assert.deepEqual(await store.receiptsSince(alice.user.id, since), none);

        await store.moveCursors([
          {
            conversationId: conv,
            userId: bob.user.id,
            deviceId: bob.device.id,
            delivered: 3,
            read: 1,
          },
          { conversationId: conv, userId: alice.user.id, deviceId: alice.device.id, read: 3 },
        ]);
        assert.deepEqual(await store.receiptsSince(alice.user.id, since), {
          direct: [{ conversationId: conv, userId: bob.user.id, delivered: 3, read: 1 }],
          groups: [],
        });
        assert.deepEqual(await store.receiptsSince(bob.user.id, since), {
          direct: [{ conversationId: conv, userId: alice.user.id, delivered: 0, read: 3 }],
          groups: [],
        });
        assert.deepEqual(await store.receiptsSince(alice.user.id, Date.now() + 60_000), none);
      }));

    it("names the groups where a member moved since a time, not their rows", () =>
      withStore(make, async ({ store }) => {
        const [ann, ben, cat, dan, eve] = await Promise.all(
          ["ann", "ben", "cat", "dan", "eve"].map((n) => party(store, n)),
        );
        const group = async (members: Party[]) =>
          (
            await store.createGroup({
              name: "g",
              creatorId: ann!.user.id,
              creatorDeviceId: ann!.device.id,
              members: members.map((m) => m.user.id),
              maxMembers: 10,
            })
          ).group.id;
        const move = (conversationId: string, who: Party, delivered: number, read = 0) =>
          store.moveCursors([
            { conversationId, userId: who.user.id, deviceId: who.device.id, delivered, read },
          ]);
        const leave = (conversationId: string, who: Party) =>
          store.changeGroup({
            conversationId,
            actorId: who.user.id,
            actorDeviceId: who.device.id,
            maxMembers: 10,
            kind: "leave",
          });
        // Each group's seq 1 is its "created" message, so there is always something to ack.
        const g1 = await group([ben!, cat!]);
        const g2 = await group([ben!]);
        const g3 = await group([cat!, dan!]);
        const g4 = await group([eve!]);
        const g5 = await group([dan!]);
        const direct = directConversationId(ann!.user.id, ben!.user.id);
        await store.ensureDirectConversation(direct, ann!.user.id, ben!.user.id);
        await send(store, direct, ann!, "hi");
        await move(g2, ben!, 1); // before `since` only
        await move(g5, dan!, 1); // before `since` only, and nothing after
        await leave(g3, cat!);
        await sleep(3);
        const since = Date.now();
        await sleep(3);
        for (const p of [ann, ben, cat, dan, eve]) {
          assert.deepEqual(await store.receiptsSince(p!.user.id, since), none, p!.user.username);
        }

        await move(g1, ben!, 1); // another member moved: ann's and cat's (and ben's, see below)
        await move(g2, ann!, 1, 1); // ann moved herself; ben only before `since`
        await move(g3, dan!, 1); // ann's; not cat's, who left
        await move(g4, eve!, 1); // eve moved, then left
        await leave(g4, eve!);
        await move(direct, ben!, 1);

        // The store keeps one time per group (conversations.cursors_at), not one per member, so
        // a group is listed for every current member once any member's cursor moved: ben gets
        // g1 for his own move, ann gets g2 for hers, dan gets g3 for his, and ann still gets g4
        // although eve left after moving. That is a superset of "another member moved", which
        // the caller allows: it sends a group_receipt only to recent senders, with the group's
        // current aggregate, which is merely unchanged when only the user moved.
        assert.deepEqual(await store.receiptsSince(ann!.user.id, since), {
          // Only the direct conversation's other member: no group member rows.
          direct: [{ conversationId: direct, userId: ben!.user.id, delivered: 1, read: 0 }],
          groups: [g1, g2, g3, g4].sort(),
        });
        assert.deepEqual(await store.receiptsSince(ben!.user.id, since), {
          direct: [],
          groups: [g1, g2].sort(),
        });
        assert.deepEqual(await store.receiptsSince(cat!.user.id, since), {
          direct: [],
          groups: [g1],
        });
        assert.deepEqual(await store.receiptsSince(dan!.user.id, since), {
          direct: [],
          groups: [g3],
        });
        assert.deepEqual(await store.receiptsSince(eve!.user.id, since), none);
        assert.deepEqual(await store.receiptsSince(ann!.user.id, Date.now() + 60_000), none);
      }));

    it("names a group once a batch advanced many of its members, and not for repeated acks", () =>
      withStore(make, async ({ store }) => {
        const people = await Promise.all(range(1, 40).map((i) => party(store, `p${i}`)));
        const [owner, ...rest] = people as [Party, ...Party[]];
        const group = async () =>
          (
            await store.createGroup({
              name: "big",
              creatorId: owner.user.id,
              creatorDeviceId: owner.device.id,
              members: rest.map((p) => p.user.id),
              maxMembers: 100,
            })
          ).group.id;
        const big = await group();
        const acked = await group();
        const ack = (conversationId: string, p: Party, delivered: number, read = 0) => ({
          conversationId,
          userId: p.user.id,
          deviceId: p.device.id,
          delivered,
          read,
        });
        // Everyone acked `acked`'s seq 1 before `since`: acking it again moves nothing.
        await store.moveCursors(people.map((p) => ack(acked, p, 1)));
        await sleep(3);
        const since = Date.now();
        await sleep(3);
        const listed = async (at: number) => {
          const lists = await Promise.all(people.map((p) => store.receiptsSince(p.user.id, at)));
          return new Set(lists.map((l) => JSON.stringify(l.groups)));
        };
        assert.deepEqual(await listed(since), new Set(["[]"]));

        // One call with every member's move (some twice), plus the repeated acks of `acked`.
        const moved = await store.moveCursors([
          ...people.map((p) => ack(big, p, 1)),
          ...people.slice(0, 10).map((p) => ack(big, p, 1, 1)),
          ...people.map((p) => ack(acked, p, 1)),
        ]);
        assert.equal(moved.length, people.length, "every member of `big` advanced, once");
        assert.deepEqual(await listed(since), new Set([JSON.stringify([big])]));

        // The same through many concurrent calls, which the store commits in few batches.
        await sleep(3);
        const later = Date.now();
        await sleep(3);
        assert.deepEqual(await listed(later), new Set(["[]"]));
        await Promise.all(people.map((p) => store.moveCursors([ack(big, p, 1, 1)])));
        assert.deepEqual(await listed(later), new Set([JSON.stringify([big])]));
        assert.deepEqual(await listed(Date.now() + 60_000), new Set(["[]"]));
      }));
  });
}
