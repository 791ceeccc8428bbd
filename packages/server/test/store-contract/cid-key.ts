import assert from "node:assert/strict";
import type { Store } from "../../src/store/store.ts";

/**
 * What the stores' tests of migration 6 share (the idempotency key's index led by cid): a
 * version-5 database holding two messages, and what must hold once it is upgraded.
 */

/** Rows of a version-5 database: ann has sent two messages to ben (cids out of time order). */
export const version5Rows = `
  INSERT INTO users VALUES ('u1', 'ann', 'A', 'h', 0), ('u2', 'ben', 'B', 'h', 0);
  INSERT INTO devices (id, user_id, name, token_hash, created_at, last_active_at)
    VALUES ('dev1', 'u1', 'phone', 't1', 0, 0), ('dev2', 'u2', 'laptop', 't2', 0, 0);
  INSERT INTO conversations (id, kind, created_at, last_seq, last_ts)
    VALUES ('d:u1:u2', 'direct', 0, 2, 20);
  INSERT INTO members (conversation_id, user_id, updated_at)
    VALUES ('d:u1:u2', 'u1', 0), ('d:u1:u2', 'u2', 0);
  INSERT INTO messages (conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content)
    VALUES ('d:u1:u2', 1, 'm1', 'u1', 'dev1', 'cid-b', 10, '{"type":"text","text":"one"}'),
           ('d:u1:u2', 2, 'm2', 'u1', 'dev1', 'cid-a', 20, '{"type":"text","text":"two"}');
`;

/** The upgraded store keeps the log, still knows the old keys, and appends after them. */
export async function assertUpgradedCidKey(store: Store): Promise<void> {
  const log = await store.messagesAfter("d:u1:u2", 0, 10);
  assert.deepEqual(
    log.map((m) => [m.seq, m.id, m.cid]),
    [
      [1, "m1", "cid-b"],
      [2, "m2", "cid-a"],
    ],
  );
  const append = (senderId: string, senderDeviceId: string, cid: string) =>
    store.appendMessage({
      conversationId: "d:u1:u2",
      senderId,
      senderDeviceId,
      cid,
      content: { type: "text", text: cid },
    });
  const retry = await append("u1", "dev1", "cid-a");
  assert.equal(retry.duplicate, true);
  assert.equal(retry.message.id, "m2");
  const next = await append("u1", "dev1", "cid-c");
  assert.equal(next.duplicate, false);
  assert.equal(next.message.seq, 3);
  // The same cid from another sender is another message.
  const other = await append("u2", "dev2", "cid-a");
  assert.equal(other.duplicate, false);
  assert.equal(other.message.seq, 4);
}
