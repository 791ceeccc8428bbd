import type { Conn } from "./store.sqlite.conn.ts";
import type { WriteCtx } from "./store.sqlite.ctx.ts";
import { messageAt } from "./store.sqlite.messages.ts";
import type { ConversationRow, MemberCursor } from "./store.ts";

/** Conversations and their members. */

export function ensureDirectConversation(
  w: WriteCtx,
  conversationId: string,
  userA: string,
  userB: string,
): void {
  // INSERT OR IGNORE makes a repeat (or a race of two first messages) a no-op. Runs in a
  // savepoint, so an unknown user (foreign key) leaves no conversation without members.
  w.conn
    .q("INSERT OR IGNORE INTO conversations (id, kind, created_at) VALUES (?, 'direct', ?)")
    .run(conversationId, w.now);
  const member = w.conn.q(
    "INSERT OR IGNORE INTO members (conversation_id, user_id, updated_at) VALUES (?, ?, ?)",
  );
  member.run(conversationId, userA, w.now);
  member.run(conversationId, userB, w.now);
}

export function membersOf(c: Conn, conversationId: string): string[] | undefined {
  return c.snapshot(() => {
    const rows = c
      .q(
        "SELECT user_id FROM members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY user_id",
      )
      .all(conversationId) as { user_id: string }[];
    if (rows.length > 0) return rows.map((r) => r.user_id);
    const exists = c.q("SELECT 1 FROM conversations WHERE id = ?").get(conversationId);
    return exists === undefined ? undefined : [];
  });
}

interface SummaryRow {
  id: string;
  kind: "direct" | "group";
  name: string | null;
  member_count: number;
  last_seq: number;
  delivered_seq: number;
  read_seq: number;
  joined_seq: number;
}

interface CursorRow {
  user_id: string;
  delivered_seq: number;
  read_seq: number;
}

/**
 * The user's conversation list, newest activity first (last message time, or creation time for
 * a conversation without messages). A handful of primary-key lookups per conversation, all in
 * one snapshot. `lastMessage` is null when there is none or relay mode pruned it; `unread` counts
 * the stored messages only, so in relay mode it excludes messages already pruned.
 */
export function conversationsOf(c: Conn, userId: string): ConversationRow[] {
  return c.snapshot(() => {
    const summaries = c
      .q(
        `SELECT c.id, c.kind, c.name, c.member_count, c.last_seq, m.delivered_seq, m.read_seq, m.joined_seq
         FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.user_id = ? AND m.left_seq IS NULL
         ORDER BY coalesce(c.last_ts, c.created_at) DESC, c.id`,
      )
      .all(userId) as unknown as SummaryRow[];
    const cursors = c.q(
      "SELECT user_id, delivered_seq, read_seq FROM members WHERE conversation_id = ? ORDER BY user_id",
    );
    // Groups can be large: their list row carries only the lowest cursors of the others.
    const lowest = c.q(
      `SELECT coalesce(min(delivered_seq), 0) AS delivered, coalesce(min(read_seq), 0) AS read
       FROM members WHERE conversation_id = ? AND user_id <> ? AND left_seq IS NULL`,
    );
    const unread = c.q(
      "SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id <> ?",
    );
    return summaries.map((s): ConversationRow => {
      const direct = s.kind === "direct";
      const members = direct ? (cursors.all(s.id) as unknown as CursorRow[]) : [];
      const others: MemberCursor[] = members
        .filter((m) => m.user_id !== userId)
        .map((m) => ({
          conversationId: s.id,
          userId: m.user_id,
          delivered: m.delivered_seq,
          read: m.read_seq,
        }));
      const low = lowest.get(s.id, userId) as { delivered: number; read: number };
      const count = unread.get(s.id, Math.max(s.read_seq, s.joined_seq - 1), userId) as {
        n: number;
      };
      return {
        id: s.id,
        kind: s.kind,
        name: s.name,
        memberCount: s.member_count,
        othersDelivered: low.delivered,
        othersRead: low.read,
        members: members.map((m) => m.user_id),
        lastSeq: s.last_seq,
        lastMessage: s.last_seq > 0 ? (messageAt(c, s.id, s.last_seq) ?? null) : null,
        delivered: s.delivered_seq,
        read: s.read_seq,
        unread: count.n,
        others,
      };
    });
  });
}

export function contactsOf(c: Conn, userId: string): string[] {
  const rows = c
    .q(
      `SELECT DISTINCT other.user_id
       FROM members me
       JOIN conversations c ON c.id = me.conversation_id AND c.kind = 'direct'
       JOIN members other ON other.conversation_id = me.conversation_id AND other.user_id <> me.user_id
       WHERE me.user_id = ?
       ORDER BY other.user_id`,
    )
    .all(userId) as { user_id: string }[];
  return rows.map((r) => r.user_id);
}
