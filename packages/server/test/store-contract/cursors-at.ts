import assert from "node:assert/strict";
import type { CursorMove, Store } from "../../src/store/store.ts";
import { type Party, party, range } from "./fixture.ts";

/**
 * What the stores' own tests of `conversations.cursors_at` (migration 4) share: the group they
 * move, and the version-3 data they upgrade. Each store counts the column's writes its own way.
 */

/** A 30-member group (owner first) and an ack builder for it. */
export async function groupOfThirty(store: Store) {
  const people = await Promise.all(range(1, 30).map((i) => party(store, `p${i}`)));
  const [owner, ...rest] = people as [Party, ...Party[]];
  const { group } = await store.createGroup({
    name: "big",
    creatorId: owner.user.id,
    creatorDeviceId: owner.device.id,
    members: rest.map((p) => p.user.id),
    maxMembers: 100,
  });
  const ack = (p: Party, delivered: number, read = 0): CursorMove => ({
    conversationId: group.id,
    userId: p.user.id,
    deviceId: p.device.id,
    delivered,
    read,
  });
  return { people, owner, rest, group, ack };
}

/** Rows of a version-3 database: a group whose members last moved at 1000 and 2000, a direct pair. */
export const version3Rows = `
  INSERT INTO users VALUES ('u1', 'ann', 'A', 'h', 0), ('u2', 'ben', 'B', 'h', 0);
  INSERT INTO conversations (id, kind, created_at, last_seq, name, member_count)
    VALUES ('g:1', 'group', 0, 1, 'g', 2), ('d:u1:u2', 'direct', 0, 1, NULL, 2);
  INSERT INTO members (conversation_id, user_id, delivered_seq, updated_at)
    VALUES ('g:1', 'u1', 1, 1000), ('g:1', 'u2', 1, 2000),
           ('d:u1:u2', 'u1', 1, 3000), ('d:u1:u2', 'u2', 1, 3000);
`;

/** After the upgrade the group counts as moved at 2000, its latest member change. */
export async function assertUpgradedReceipts(store: Store): Promise<void> {
  assert.deepEqual((await store.receiptsSince("u1", 2000)).groups, ["g:1"]);
  assert.deepEqual(await store.receiptsSince("u1", 2001), {
    direct: [{ conversationId: "d:u1:u2", userId: "u2", delivered: 1, read: 0 }],
    groups: [],
  });
}
