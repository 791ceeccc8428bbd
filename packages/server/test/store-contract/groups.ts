import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Limits, type SystemContent } from "@courier/protocol";
import { type GroupChange, type Store, StoreRejectedError } from "../../src/store/store.ts";
import { type MakeStore, type Party, party, send, seqs, withStore } from "./fixture.ts";

const max = 10;

async function group(store: Store, owner: Party, members: Party[], name = "Crew") {
  return store.createGroup({
    name,
    creatorId: owner.user.id,
    creatorDeviceId: owner.device.id,
    members: members.map((m) => m.user.id),
    maxMembers: max,
  });
}

function change(store: Store, conversationId: string, actor: Party, rest: Record<string, unknown>) {
  return store.changeGroup({
    conversationId,
    actorId: actor.user.id,
    actorDeviceId: actor.device.id,
    maxMembers: max,
    ...rest,
  } as GroupChange);
}

async function rejects(p: Promise<unknown>, code: StoreRejectedError["code"]) {
  await assert.rejects(p, (err: unknown) => err instanceof StoreRejectedError && err.code === code);
}

export function groupsContract(make: MakeStore): void {
  describe("groups", () => {
    it("creates a group with its creator as admin and a created system message at seq 1", () =>
      withStore(make, async ({ store }) => {
        const [a, b, c] = [
          await party(store, "ann"),
          await party(store, "ben"),
          await party(store, "cat"),
        ];
        const { group: g, message, removed } = await group(store, a, [b, c, b]);
        assert.ok(g.id.startsWith("g:"));
        assert.equal(message.seq, 1);
        assert.deepEqual(message.content, {
          type: "system",
          event: "created",
          actor: a.user.id,
          users: [b.user.id, c.user.id],
          name: "Crew",
        });
        assert.deepEqual(removed, []);
        assert.deepEqual(
          g.members
            .map((m) => [m.username, m.role, m.joinedSeq])
            .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
          [
            ["ann", "admin", 1],
            ["ben", "member", 1],
            ["cat", "member", 1],
          ],
        );
        assert.deepEqual(
          (await store.membersOf(g.id))?.sort(),
          [a, b, c].map((p) => p.user.id).sort(),
        );
        assert.deepEqual(await store.memberOf(g.id, b.user.id), { role: "member", joinedSeq: 1 });
        assert.equal(await store.groupInfo("d:x:y"), undefined);
        const [row] = await store.conversationsOf(b.user.id);
        assert.deepEqual(
          [row?.kind, row?.name, row?.memberCount, row?.members, row?.unread],
          ["group", "Crew", 3, [], 1],
        );
      }));

    it("lists the first users of a bulk change in its system message and counts them all", () =>
      withStore(make, async ({ store }) => {
        const owner = await party(store, "boss");
        const crowd: Party[] = [];
        for (let i = 0; i < Limits.systemUsersListed + 5; i++)
          crowd.push(await party(store, `p${i}`));
        const made = await store.createGroup({
          name: "Crowd",
          creatorId: owner.user.id,
          creatorDeviceId: owner.device.id,
          members: crowd.slice(0, 3).map((m) => m.user.id),
          maxMembers: 100,
        });
        assert.deepEqual(made.message.content, {
          type: "system",
          event: "created",
          actor: owner.user.id,
          users: crowd.slice(0, 3).map((m) => m.user.id),
          name: "Crowd",
        });
        const added = await store.changeGroup({
          conversationId: made.group.id,
          actorId: owner.user.id,
          actorDeviceId: owner.device.id,
          maxMembers: 100,
          kind: "add",
          users: crowd.slice(3).map((m) => m.user.id),
        });
        const content = added.message.content as SystemContent;
        assert.equal(content.count, crowd.length - 3);
        assert.deepEqual(
          content.users,
          crowd.slice(3, 3 + Limits.systemUsersListed).map((m) => m.user.id),
        );
        assert.equal(added.group.members.length, crowd.length + 1, "everyone was added");
      }));

    it("refuses unknown users and groups over the size limit, writing nothing", () =>
      withStore(make, async ({ store }) => {
        const a = await party(store, "ann");
        const many = await Promise.all(
          Array.from({ length: max }, (_, i) => party(store, `u${i}`)),
        );
        await rejects(group(store, a, many), "limit_reached");
        await rejects(
          store.createGroup({
            name: "x",
            creatorId: a.user.id,
            creatorDeviceId: a.device.id,
            members: ["ghost"],
            maxMembers: max,
          }),
          "no_such_user",
        );
        assert.deepEqual(await store.conversationsOf(a.user.id), []);
      }));

    it("lets admins add, remove and promote; anyone renames; others get forbidden or not_member", () =>
      withStore(make, async ({ store }) => {
        const [a, b, c, d, e] = await Promise.all(
          ["ann", "ben", "cat", "dan", "eve"].map((n) => party(store, n)),
        );
        const { group: g } = await group(store, a!, [b!, c!]);
        await rejects(change(store, g.id, b!, { kind: "add", users: [d!.user.id] }), "forbidden");
        await rejects(change(store, g.id, e!, { kind: "rename", name: "mine" }), "not_member");
        await rejects(change(store, "g:none", a!, { kind: "rename", name: "x" }), "not_member");
        await rejects(change(store, g.id, a!, { kind: "add", users: [b!.user.id] }), "conflict");
        await rejects(change(store, g.id, a!, { kind: "add", users: ["ghost"] }), "no_such_user");
        await rejects(change(store, g.id, a!, { kind: "remove", user: e!.user.id }), "not_member");

        const added = await change(store, g.id, a!, {
          kind: "add",
          users: [d!.user.id, b!.user.id],
        });
        assert.deepEqual(added.message.content, {
          type: "system",
          event: "added",
          actor: a!.user.id,
          users: [d!.user.id],
        });
        assert.equal(
          added.group.members.find((m) => m.userId === d!.user.id)?.joinedSeq,
          added.message.seq,
        );
        const renamed = await change(store, g.id, c!, { kind: "rename", name: "New" });
        assert.equal(renamed.group.name, "New");
        const promoted = await change(store, g.id, a!, { kind: "promote", user: b!.user.id });
        assert.equal(promoted.group.members.find((m) => m.userId === b!.user.id)?.role, "admin");
        await rejects(change(store, g.id, a!, { kind: "promote", user: b!.user.id }), "conflict");
        const removed = await change(store, g.id, b!, { kind: "remove", user: c!.user.id });
        assert.deepEqual(removed.removed, [c!.user.id]);
        assert.equal(await store.memberOf(g.id, c!.user.id), undefined);
        assert.equal((await store.membersOf(g.id))?.includes(c!.user.id), false);
        assert.deepEqual(seqs(await store.messagesAfter(g.id, 0, 50)), [1, 2, 3, 4, 5]);
      }));

    it("hands admin to the longest-standing member when the last admin leaves", () =>
      withStore(make, async ({ store }) => {
        const [a, b, c] = await Promise.all(["ann", "ben", "cat"].map((n) => party(store, n)));
        const { group: g } = await group(store, a!, [b!]);
        await change(store, g.id, a!, { kind: "add", users: [c!.user.id] });
        const left = await change(store, g.id, a!, { kind: "leave" });
        assert.deepEqual(left.removed, [a!.user.id]);
        assert.deepEqual(
          left.group.members.map((m) => [m.userId, m.role]),
          [
            [b!.user.id, "admin"],
            [c!.user.id, "member"],
          ],
        );
        assert.equal((await store.conversationsOf(a!.user.id)).length, 0);
      }));

    it("syncs a member from their join, and one who left up to their leaving, then nothing", () =>
      withStore(make, async ({ store }) => {
        const [a, b, c] = await Promise.all(["ann", "ben", "cat"].map((n) => party(store, n)));
        const { group: g } = await group(store, a!, [b!]);
        await send(store, g.id, a!, "before");
        const added = await change(store, g.id, a!, { kind: "add", users: [c!.user.id] });
        await send(store, g.id, a!, "after");
        const [pc] = await store.pendingFor(c!.user.id, c!.device.id);
        assert.deepEqual(pc, {
          conversationId: g.id,
          delivered: added.message.seq - 1,
          lastSeq: added.message.seq + 1,
        });
        const [cRow] = await store.conversationsOf(c!.user.id);
        assert.equal(cRow?.unread, 2, "the added message and the one after");

        const removal = await change(store, g.id, a!, { kind: "remove", user: b!.user.id });
        await send(store, g.id, a!, "gone");
        const [pb] = await store.pendingFor(b!.user.id, b!.device.id);
        assert.equal(pb?.lastSeq, removal.message.seq, "up to the removal, not beyond");
        // B's ack is kept up to the removal and clamped there; then there is nothing to sync.
        await store.moveCursors([
          { conversationId: g.id, userId: b!.user.id, deviceId: b!.device.id, delivered: 99 },
        ]);
        assert.deepEqual(await store.pendingFor(b!.user.id, b!.device.id), []);
        const lowest = await store.lowestCursors(g.id);
        assert.equal(
          [...lowest.delivered, ...lowest.read].some((m) => m.userId === b!.user.id),
          false,
          "a removed member's cursor no longer holds the group's ticks back",
        );

        // Coming back starts afresh from the new join.
        const back = await change(store, g.id, a!, { kind: "add", users: [b!.user.id] });
        assert.deepEqual(await store.memberOf(g.id, b!.user.id), {
          role: "member",
          joinedSeq: back.message.seq,
        });
      }));

    it("reports the lowest member cursors, recent senders, per-member receipt times and large groups", () =>
      withStore(make, async ({ store }) => {
        const [a, b, c] = await Promise.all(["ann", "ben", "cat"].map((n) => party(store, n)));
        const { group: g } = await group(store, a!, [b!, c!]);
        const m2 = (await send(store, g.id, b!, "hi")).message;
        const move = (p: Party, delivered: number, read?: number) =>
          store.moveCursors([
            {
              conversationId: g.id,
              userId: p.user.id,
              deviceId: p.device.id,
              delivered,
              ...(read === undefined ? {} : { read }),
            },
          ]);
        await move(a!, 2);
        const before = Date.now();
        await move(c!, 2, 2);
        // Cursors (delivered, read): ann (2, 0), ben (0, 0), cat (2, 2). Ties go by user id.
        const lowest = await store.lowestCursors(g.id);
        const [firstOfAnnAndCat] = [a!.user.id, c!.user.id].sort();
        assert.deepEqual(lowest.delivered, [
          { userId: b!.user.id, seq: 0 },
          { userId: firstOfAnnAndCat, seq: 2 },
        ]);
        assert.deepEqual(
          lowest.read,
          [a!.user.id, b!.user.id].sort().map((userId) => ({ userId, seq: 0 })),
        );
        assert.deepEqual(
          (await store.recentSenders(g.id, 0)).map((s) => [s.userId, s.seq]).sort(),
          [
            [a!.user.id, 1],
            [b!.user.id, m2.seq],
          ].sort(),
        );
        assert.deepEqual(await store.recentSenders(g.id, m2.seq), []);
        const receipts = new Map(
          (await store.messageReceipts(g.id, m2.seq)).map((r) => [r.userId, r]),
        );
        assert.ok(receipts.get(a!.user.id)?.deliveredAt);
        assert.equal(receipts.get(a!.user.id)?.readAt, null);
        assert.ok((receipts.get(c!.user.id)?.readAt ?? 0) >= before - 1000);
        assert.equal(receipts.get(b!.user.id)?.deliveredAt, null);
        assert.deepEqual(await store.largeGroupsOf(b!.user.id, 3), [g.id]);
        assert.deepEqual(await store.largeGroupsOf(b!.user.id, 4), []);
        const [row] = await store.conversationsOf(a!.user.id);
        assert.deepEqual([row?.othersDelivered, row?.othersRead], [0, 0]);
      }));
  });
}
