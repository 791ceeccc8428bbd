import type { WriteCtx } from "./store.sqlite.ctx.ts";

/**
 * Relay mode: deletes the messages of the conversation that every active device of every member
 * has acked, except that a message's own sending device need not ack it. Returns the count.
 *
 * With M1 the lowest delivered cursor over those devices (held by d1; a device without a cursor
 * row counts as 0) and M2 the lowest over the others, a message is acked by all but its sender
 * exactly when seq <= M1, or its sender is d1 and seq <= M2. (If two devices share the lowest
 * cursor, M2 = M1 and the second rule adds nothing, as it should.)
 *
 * A member with no active device at all (signed out everywhere) counts as one device at the
 * member's delivered cursor: otherwise the contract's "every active device" would hold vacuously
 * and their messages would be deleted before any new device of theirs could fetch them.
 *
 * The deleted messages' idempotency keys are copied to `sent_cids` first, so a late retry of one
 * of them is still recognised as a duplicate.
 */
/** See `Store.expireSentCids`. */
export function expireSentCids(w: WriteCtx, before: number, limit: number): number {
  const result = w.conn
    .q(
      `DELETE FROM sent_cids WHERE (sender_id, cid) IN
         (SELECT sender_id, cid FROM sent_cids WHERE ts < ? ORDER BY ts LIMIT ?)`,
    )
    .run(before, limit);
  return Number(result.changes);
}

export function pruneDelivered(w: WriteCtx, conversationId: string): number {
  const last = w.lastSeq(conversationId);
  if (last === undefined || last === 0) return 0;
  const lowest = w.conn
    .q(
      `SELECT d.id AS device, coalesce(dc.delivered_seq, 0) AS delivered
       FROM members m
       JOIN devices d ON d.user_id = m.user_id AND d.revoked_at IS NULL
       LEFT JOIN device_cursors dc ON dc.device_id = d.id AND dc.conversation_id = m.conversation_id
       WHERE m.conversation_id = ?1 AND m.left_seq IS NULL
       UNION ALL
       SELECT NULL, m.delivered_seq
       FROM members m
       WHERE m.conversation_id = ?1 AND m.left_seq IS NULL
         AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = m.user_id AND d.revoked_at IS NULL)
       ORDER BY delivered, device
       LIMIT 2`,
    )
    .all(conversationId) as { device: string | null; delivered: number }[];
  // With a single device, M2 is unbounded: the device is exempt from its own messages and
  // nobody else needs them.
  const d1 = lowest[0]?.device ?? null;
  const m1 = lowest[0]?.delivered ?? last;
  const m2 = lowest[1]?.delivered ?? last;
  // m2 >= m1, so `seq <= m2` bounds a primary-key range scan and the OR only filters inside it.
  const where = "conversation_id = ?1 AND seq <= ?3 AND (seq <= ?2 OR sender_device_id = ?4)";
  const args = [conversationId, m1, m2, d1] as const;
  w.conn
    .q(
      `INSERT OR IGNORE INTO sent_cids (sender_id, cid, conversation_id, seq, id, ts)
       SELECT sender_id, cid, conversation_id, seq, id, ts FROM messages WHERE ${where}`,
    )
    .run(...args);
  w.usedSentCids();
  const result = w.conn.q(`DELETE FROM messages WHERE ${where}`).run(...args);
  return Number(result.changes);
}
