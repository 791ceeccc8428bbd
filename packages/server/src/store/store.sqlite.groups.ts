import { listedUsers, type SystemContent } from "@courier/protocol";
import { newId } from "./ids.ts";
import { type Conn, RejectedError } from "./store.sqlite.conn.ts";
import type { WriteCtx } from "./store.sqlite.ctx.ts";
import { appendMessage } from "./store.sqlite.messages.ts";
import type {
  GroupChange,
  GroupChangeResult,
  LowestCursors,
  MemberCursor,
  MemberInfo,
  MessageReceipt,
  NewGroup,
  StoredGroup,
  StoredMessage,
} from "./store.ts";

/**
 * Groups: the same conversation, member and message tables as direct conversations, plus a name,
 * member roles, a member count, and `joined_seq` (a member sees the log after it). Each change
 * checks its rules and appends its system message inside the request's savepoint, so a refused
 * or failed change leaves nothing behind.
 */

/** How far back recentSenders looks, so a long-absent member cannot turn it into a scan. */
const RECENT_WINDOW = 1000;

export function createGroup(w: WriteCtx, group: NewGroup): GroupChangeResult {
  const members = [...new Set(group.members)].filter((m) => m !== group.creatorId);
  if (members.length + 1 > group.maxMembers) {
    throw new RejectedError("limit_reached", `a group holds at most ${group.maxMembers} members`);
  }
  requireUsers(w.conn, members);
  const id = `g:${newId()}`;
  w.conn
    .q(
      "INSERT INTO conversations (id, kind, name, member_count, created_at) VALUES (?, 'group', ?, ?, ?)",
    )
    .run(id, group.name, members.length + 1, w.now);
  const insert = w.conn.q(
    "INSERT INTO members (conversation_id, user_id, role, joined_seq, updated_at) VALUES (?, ?, ?, 1, ?)",
  );
  insert.run(id, group.creatorId, "admin", w.now);
  for (const userId of members) insert.run(id, userId, "member", w.now);
  const message = system(w, id, group.creatorId, group.creatorDeviceId, {
    type: "system",
    event: "created",
    actor: group.creatorId,
    ...listedUsers(members),
    name: group.name,
  });
  return { message, group: mustGroup(w.conn, id), removed: [] };
}

export function changeGroup(w: WriteCtx, change: GroupChange): GroupChangeResult {
  const id = change.conversationId;
  const actor = memberOf(w.conn, id, change.actorId);
  if (actor === undefined || !id.startsWith("g:")) {
    throw new RejectedError("not_member", "not a member of this group");
  }
  const requireAdmin = () => {
    if (actor.role !== "admin") throw new RejectedError("forbidden", "only admins may do this");
  };
  const say = (content: Omit<SystemContent, "type" | "actor">) =>
    system(w, id, change.actorId, change.actorDeviceId, {
      type: "system",
      actor: change.actorId,
      ...content,
    });
  let removed: string[] = [];
  let message: StoredMessage;
  switch (change.kind) {
    case "add": {
      requireAdmin();
      const fresh = [...new Set(change.users)].filter((u) => memberOf(w.conn, id, u) === undefined);
      if (fresh.length === 0) throw new RejectedError("conflict", "they are members already");
      requireUsers(w.conn, fresh);
      const count = memberCount(w.conn, id);
      if (count + fresh.length > change.maxMembers) {
        throw new RejectedError(
          "limit_reached",
          `a group holds at most ${change.maxMembers} members`,
        );
      }
      message = say({ event: "added", ...listedUsers(fresh) });
      // Someone who left earlier comes back through the same row, starting afresh.
      const insert = w.conn.q(
        `INSERT INTO members (conversation_id, user_id, role, joined_seq, updated_at) VALUES (?, ?, 'member', ?, ?)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
           role = 'member', joined_seq = excluded.joined_seq, left_seq = NULL, updated_at = excluded.updated_at`,
      );
      for (const userId of fresh) insert.run(id, userId, message.seq, w.now);
      setCount(w, id, count + fresh.length);
      break;
    }
    case "remove": {
      requireAdmin();
      if (memberOf(w.conn, id, change.user) === undefined) {
        throw new RejectedError("not_member", "that user is not a member");
      }
      message = say({
        event: change.user === change.actorId ? "left" : "removed",
        users: [change.user],
      });
      removed = [change.user];
      removeMember(w, id, change.user, message.seq);
      break;
    }
    case "leave": {
      message = say({ event: "left", users: [change.actorId] });
      removed = [change.actorId];
      removeMember(w, id, change.actorId, message.seq);
      break;
    }
    case "promote": {
      requireAdmin();
      const target = memberOf(w.conn, id, change.user);
      if (target === undefined) throw new RejectedError("not_member", "that user is not a member");
      if (target.role === "admin") throw new RejectedError("conflict", "already an admin");
      message = say({ event: "promoted", users: [change.user] });
      w.conn
        .q("UPDATE members SET role = 'admin' WHERE conversation_id = ? AND user_id = ?")
        .run(id, change.user);
      break;
    }
    case "rename": {
      message = say({ event: "renamed", name: change.name });
      w.conn.q("UPDATE conversations SET name = ? WHERE id = ?").run(change.name, id);
      break;
    }
  }
  return { message, group: mustGroup(w.conn, id), removed };
}

/** Removes a member; if that left the group without an admin, the longest-standing member becomes one. */
function removeMember(w: WriteCtx, id: string, userId: string, seq: number): void {
  w.conn
    .q("UPDATE members SET left_seq = ?, role = 'member' WHERE conversation_id = ? AND user_id = ?")
    .run(seq, id, userId);
  setCount(w, id, memberCount(w.conn, id) - 1);
  const admin = w.conn
    .q(
      "SELECT 1 FROM members WHERE conversation_id = ? AND role = 'admin' AND left_seq IS NULL LIMIT 1",
    )
    .get(id);
  if (admin !== undefined) return;
  w.conn
    .q(
      `UPDATE members SET role = 'admin' WHERE conversation_id = ?1 AND user_id =
         (SELECT user_id FROM members WHERE conversation_id = ?1 AND left_seq IS NULL
          ORDER BY joined_seq, user_id LIMIT 1)`,
    )
    .run(id);
}

function system(
  w: WriteCtx,
  conversationId: string,
  actorId: string,
  actorDeviceId: string,
  content: SystemContent,
): StoredMessage {
  const cid = `sys:${newId()}`;
  const outcome = appendMessage(w, {
    conversationId,
    senderId: actorId,
    senderDeviceId: actorDeviceId,
    cid,
    content,
  });
  if ("duplicate" in outcome) return outcome.duplicate; // cannot happen: the cid is fresh
  return {
    conversationId,
    id: outcome.id,
    seq: outcome.seq,
    senderId: actorId,
    senderDeviceId: actorDeviceId,
    cid,
    ts: outcome.ts,
    content,
  };
}

function requireUsers(c: Conn, userIds: string[]): void {
  const exists = c.q("SELECT 1 FROM users WHERE id = ?");
  for (const userId of userIds) {
    if (exists.get(userId) === undefined)
      throw new RejectedError("no_such_user", `no user ${userId}`);
  }
}

function memberCount(c: Conn, id: string): number {
  const row = c.q("SELECT member_count FROM conversations WHERE id = ?").get(id) as {
    member_count: number;
  };
  return row.member_count;
}

function setCount(w: WriteCtx, id: string, count: number): void {
  w.conn.q("UPDATE conversations SET member_count = ? WHERE id = ?").run(count, id);
}

function mustGroup(c: Conn, id: string): StoredGroup {
  const group = groupInfo(c, id);
  if (group === undefined) throw new Error(`group ${id} vanished inside its own transaction`);
  return group;
}

export function groupInfo(c: Conn, conversationId: string): StoredGroup | undefined {
  return c.snapshot(() => {
    const row = c
      .q("SELECT id, name, created_at FROM conversations WHERE id = ? AND kind = 'group'")
      .get(conversationId) as { id: string; name: string; created_at: number } | undefined;
    if (row === undefined) return undefined;
    const members = c
      .q(
        `SELECT m.user_id, m.role, m.joined_seq, u.username, u.display_name
         FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.conversation_id = ? AND m.left_seq IS NULL
         ORDER BY m.role = 'admin' DESC, m.joined_seq, m.user_id`,
      )
      .all(conversationId) as Array<{
      user_id: string;
      role: "admin" | "member";
      joined_seq: number;
      username: string;
      display_name: string;
    }>;
    return {
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      members: members.map((m) => ({
        userId: m.user_id,
        role: m.role,
        joinedSeq: m.joined_seq,
        username: m.username,
        displayName: m.display_name,
      })),
    };
  });
}

export function memberOf(c: Conn, conversationId: string, userId: string): MemberInfo | undefined {
  const row = c
    .q(
      "SELECT role, joined_seq FROM members WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL",
    )
    .get(conversationId, userId) as { role: "admin" | "member"; joined_seq: number } | undefined;
  return row && { role: row.role, joinedSeq: row.joined_seq };
}

export function lowestCursors(c: Conn, conversationId: string): LowestCursors {
  // members is keyed (conversation_id, user_id): one range of the group, top two kept by the sorter.
  const lowest = (column: "delivered_seq" | "read_seq") =>
    (
      c
        .q(
          `SELECT user_id, ${column} AS seq FROM members
           WHERE conversation_id = ? AND left_seq IS NULL ORDER BY ${column}, user_id LIMIT 2`,
        )
        .all(conversationId) as Array<{ user_id: string; seq: number }>
    ).map((r) => ({ userId: r.user_id, seq: r.seq }));
  return c.snapshot(() => ({ delivered: lowest("delivered_seq"), read: lowest("read_seq") }));
}

export function recentSenders(
  c: Conn,
  conversationId: string,
  afterSeq: number,
): Array<{ userId: string; seq: number }> {
  const rows = c
    .q(
      `SELECT sender_id, max(seq) AS seq FROM messages
       WHERE conversation_id = ?1
         AND seq > max(?2, (SELECT last_seq FROM conversations WHERE id = ?1) - ?3)
       GROUP BY sender_id ORDER BY sender_id`,
    )
    .all(conversationId, afterSeq, RECENT_WINDOW) as Array<{ sender_id: string; seq: number }>;
  return rows.map((r) => ({ userId: r.sender_id, seq: r.seq }));
}

/** When each member's cursors first reached `seq`, from the events moveCursors records for groups. */
export function messageReceipts(c: Conn, conversationId: string, seq: number): MessageReceipt[] {
  const rows = c
    .q(
      `SELECT m.user_id,
         (SELECT min(at) FROM cursor_events e WHERE e.conversation_id = ?1 AND e.user_id = m.user_id
            AND e.kind = 'delivered' AND e.seq >= ?2) AS delivered_at,
         (SELECT min(at) FROM cursor_events e WHERE e.conversation_id = ?1 AND e.user_id = m.user_id
            AND e.kind = 'read' AND e.seq >= ?2) AS read_at
       FROM members m WHERE m.conversation_id = ?1 AND m.left_seq IS NULL ORDER BY m.user_id`,
    )
    .all(conversationId, seq) as Array<{
    user_id: string;
    delivered_at: number | null;
    read_at: number | null;
  }>;
  return rows.map((r) => ({ userId: r.user_id, deliveredAt: r.delivered_at, readAt: r.read_at }));
}

export function largeGroupsOf(c: Conn, userId: string, minMembers: number): string[] {
  const rows = c
    .q(
      `SELECT c.id FROM members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.user_id = ? AND m.left_seq IS NULL AND c.kind = 'group' AND c.member_count >= ?
       ORDER BY c.id`,
    )
    .all(userId, minMembers) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/** Records when a group member's cursors advanced (for message info); called by moveCursors. */
export function recordCursorEvent(w: WriteCtx, cursor: MemberCursor): void {
  if (!cursor.conversationId.startsWith("g:")) return;
  const insert = w.conn.q(
    "INSERT OR IGNORE INTO cursor_events (conversation_id, user_id, kind, seq, at) VALUES (?, ?, ?, ?, ?)",
  );
  if (cursor.delivered > 0)
    insert.run(cursor.conversationId, cursor.userId, "delivered", cursor.delivered, w.now);
  if (cursor.read > 0) insert.run(cursor.conversationId, cursor.userId, "read", cursor.read, w.now);
}
