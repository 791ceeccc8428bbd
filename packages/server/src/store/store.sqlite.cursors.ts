import type { Conn } from "./store.sqlite.conn.ts";
import type { WriteCtx } from "./store.sqlite.ctx.ts";
import { recordCursorEvent } from "./store.sqlite.groups.ts";
import type { CursorMove, MemberCursor, MissedReceipts, PendingConversation } from "./store.ts";

/** Device and member cursors: receipts are cursor moves, never rows per message. */

/**
 * Applies the moves in order and returns each member cursor that advanced, once per
 * (conversation, user), with its final value.
 *
 * Since a device cursor only grows, the member cursor (the max over the member's devices) is
 * max(member cursor, new device value): no scan over the member's devices is needed.
 *
 * Moves are clamped to the conversation's last seq, so an ack from the future cannot mark
 * messages that do not exist yet as delivered (which relay mode would then prune unseen).
 * A move for a conversation the user is not a member of is ignored; one who left may move up to
 * the seq of their leaving (so that their device stops being sent their removal).
 *
 * Each group in which a member cursor advanced gets its `conversations.cursors_at` set to the
 * batch's time (for receiptsSince), once per batch: the writer stamps them before COMMIT. They
 * are handed over only once every move went through, so a request that fails (and is rolled
 * back to its savepoint) stamps nothing.
 */
export function moveCursors(w: WriteCtx, moves: CursorMove[]): MemberCursor[] {
  // The common case, a member's first device moving past the member cursor, is two statements:
  // the member update (which clamps to the member's leaving in SQL and proves membership by
  // returning a row) and the device upsert. Only a move that does not advance the member cursor
  // (a second device, a repeated ack) or comes from a non-member takes the checked path below.
  const member = w.conn.q(
    `UPDATE members SET
       delivered_seq = max(delivered_seq, min(?3, coalesce(left_seq, ?5))),
       read_seq = max(read_seq, min(?4, coalesce(left_seq, ?5))),
       updated_at = ?6
     WHERE conversation_id = ?1 AND user_id = ?2
       AND (delivered_seq < min(?3, coalesce(left_seq, ?5)) OR read_seq < min(?4, coalesce(left_seq, ?5)))
     RETURNING delivered_seq, read_seq, left_seq`,
  );
  const device = w.conn.q(
    `INSERT INTO device_cursors (device_id, conversation_id, delivered_seq, read_seq)
     VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (device_id, conversation_id) DO UPDATE SET
       delivered_seq = max(delivered_seq, excluded.delivered_seq),
       read_seq = max(read_seq, excluded.read_seq)
     WHERE excluded.delivered_seq > delivered_seq OR excluded.read_seq > read_seq`,
  );
  const membership = w.conn.q(
    "SELECT left_seq FROM members WHERE conversation_id = ? AND user_id = ?",
  );
  const advanced = new Map<string, MemberCursor>();
  const groups = new Set<string>();
  for (const move of moves) {
    const conversationLast = w.lastSeq(move.conversationId);
    if (conversationLast === undefined) continue;
    const delivered = clamp(move.delivered, conversationLast);
    const read = clamp(move.read, conversationLast);
    if (delivered === 0 && read === 0) continue;
    const row = member.get(
      move.conversationId,
      move.userId,
      delivered,
      read,
      conversationLast,
      w.now,
    ) as { delivered_seq: number; read_seq: number; left_seq: number | null } | undefined;
    // A member who left may still ack the log up to their leaving, and no further.
    let leftSeq: number | null;
    if (row !== undefined) {
      leftSeq = row.left_seq;
    } else {
      const found = membership.get(move.conversationId, move.userId) as
        | { left_seq: number | null }
        | undefined;
      if (found === undefined) continue; // not a member: nothing moves
      leftSeq = found.left_seq;
    }
    const last = leftSeq ?? conversationLast;
    device.run(move.deviceId, move.conversationId, Math.min(delivered, last), Math.min(read, last));
    if (row === undefined) continue;
    const cursor = {
      conversationId: move.conversationId,
      userId: move.userId,
      delivered: row.delivered_seq,
      read: row.read_seq,
    };
    recordCursorEvent(w, cursor);
    advanced.set(`${move.conversationId}\n${move.userId}`, cursor);
    if (move.conversationId.startsWith("g:")) groups.add(move.conversationId);
  }
  w.cursorsMoved(groups);
  return [...advanced.values()];
}

function clamp(seq: number | undefined, last: number): number {
  if (seq === undefined || !Number.isFinite(seq) || seq < 0) return 0;
  return Math.min(Math.floor(seq), last);
}

/** Conversations of the user where this device's delivered cursor is below the last seq. */
export function pendingFor(c: Conn, userId: string, deviceId: string): PendingConversation[] {
  const rows = c
    .q(
      `SELECT c.id, max(coalesce(d.delivered_seq, 0), m.joined_seq - 1) AS delivered,
         coalesce(m.left_seq, c.last_seq) AS last_seq
       FROM members m
       JOIN conversations c ON c.id = m.conversation_id
       LEFT JOIN device_cursors d ON d.device_id = ? AND d.conversation_id = m.conversation_id
       WHERE m.user_id = ?
         AND coalesce(m.left_seq, c.last_seq) > max(coalesce(d.delivered_seq, 0), m.joined_seq - 1)
       ORDER BY c.id`,
    )
    .all(deviceId, userId) as { id: string; delivered: number; last_seq: number }[];
  return rows.map((r) => ({ conversationId: r.id, delivered: r.delivered, lastSeq: r.last_seq }));
}

/**
 * What changed at or after `since` in the user's current conversations (see `Store`).
 *
 * Direct: the other member's row of each direct conversation; `me` is bounded to the `d:` id
 * range (a seek in members_by_user, whose entries carry the conversation id), so the join never
 * reaches a group's member rows. Groups: the user's current groups whose `cursors_at` (migration
 * 4, stamped by moveCursors) is at or after `since`: per group one seek in the conversations
 * primary key, whatever the group's size. That lists a group where only the user's own cursor
 * moved too; the caller tells the cases apart (see `Store.receiptsSince`).
 */
export function receiptsSince(c: Conn, userId: string, since: number): MissedReceipts {
  return c.snapshot(() => {
    const direct = c
      .q(
        `SELECT other.conversation_id, other.user_id, other.delivered_seq, other.read_seq
         FROM members me
         JOIN members other ON other.conversation_id = me.conversation_id AND other.user_id <> me.user_id
           AND other.left_seq IS NULL
         WHERE me.user_id = ? AND me.conversation_id >= 'd:' AND me.conversation_id < 'd;'
           AND me.left_seq IS NULL AND other.updated_at >= ?
         ORDER BY other.conversation_id, other.user_id`,
      )
      .all(userId, since) as {
      conversation_id: string;
      user_id: string;
      delivered_seq: number;
      read_seq: number;
    }[];
    const groups = c
      .q(
        `SELECT me.conversation_id
         FROM members me
         JOIN conversations c ON c.id = me.conversation_id
         WHERE me.user_id = ? AND me.conversation_id >= 'g:' AND me.conversation_id < 'g;'
           AND me.left_seq IS NULL AND c.cursors_at >= ?
         ORDER BY me.conversation_id`,
      )
      .all(userId, since) as { conversation_id: string }[];
    return {
      direct: direct.map((r) => ({
        conversationId: r.conversation_id,
        userId: r.user_id,
        delivered: r.delivered_seq,
        read: r.read_seq,
      })),
      groups: groups.map((r) => r.conversation_id),
    };
  });
}
