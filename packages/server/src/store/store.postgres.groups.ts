import { listedUsers, type SystemContent } from "@courier/protocol";
import type { QueryResultRow } from "pg";
import { newId } from "./ids.ts";
import {
  type GroupChange,
  type GroupChangeResult,
  type LowestCursors,
  type MemberInfo,
  type MessageReceipt,
  type NewGroup,
  type StoredGroup,
  type StoredMessage,
  StoreRejectedError,
} from "./store.ts";

/**
 * Groups on PostgreSQL, with the rules of `store.sqlite.groups.ts`: the same conversation, member
 * and message tables as direct conversations, plus a name, member roles, a member count, and
 * `joined_seq` / `left_seq` (a member sees the log from their join up to their leaving).
 *
 * A change runs in its own transaction (group changes are rare; they do not need the writer's
 * group commit): it first takes the conversation's row lock, the same lock every append takes,
 * so its permission checks, its system message (the next seq) and its member updates are one
 * atomic step even when admins on different nodes race. A refused change throws
 * StoreRejectedError and the caller rolls back, so it leaves nothing behind.
 */

/** Runs one statement and returns its rows (a pool or a transaction's client behind it). */
export type Query = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

/** How far back recentSenders looks, so a long-absent member cannot turn it into a scan. */
const RECENT_WINDOW = 1000;

export async function createGroup(
  q: Query,
  group: NewGroup,
  now: number,
): Promise<GroupChangeResult> {
  const members = [...new Set(group.members)].filter((m) => m !== group.creatorId);
  if (members.length + 1 > group.maxMembers) {
    throw new StoreRejectedError(
      "limit_reached",
      `a group holds at most ${group.maxMembers} members`,
    );
  }
  await requireUsers(q, members);
  const id = `g:${newId()}`;
  await q(
    `INSERT INTO conversations (id, kind, name, member_count, created_at)
     VALUES ($1, 'group', $2, $3, $4)`,
    [id, group.name, members.length + 1, now],
  );
  await q(
    `INSERT INTO members (conversation_id, user_id, role, joined_seq, updated_at)
     SELECT $1, u, CASE WHEN u = $2 THEN 'admin' ELSE 'member' END, 1, $4
     FROM unnest($3::text[]) AS u`,
    [id, group.creatorId, [group.creatorId, ...members], now],
  );
  const message = await appendSystem(q, id, group.creatorId, group.creatorDeviceId, now, {
    type: "system",
    event: "created",
    actor: group.creatorId,
    ...listedUsers(members),
    name: group.name,
  });
  return { message, group: await mustGroup(q, id), removed: [] };
}

export async function changeGroup(
  q: Query,
  change: GroupChange,
  now: number,
): Promise<GroupChangeResult> {
  const id = change.conversationId;
  // The conversation's row lock: held until COMMIT, it serialises this change with every other
  // change and append of the group, on every node.
  const [conv] = await q<{ member_count: number }>(
    "SELECT member_count FROM conversations WHERE id = $1 AND kind = 'group' FOR UPDATE",
    [id],
  );
  const actor = conv === undefined ? undefined : await memberOf(q, id, change.actorId);
  if (conv === undefined || actor === undefined || !id.startsWith("g:")) {
    throw new StoreRejectedError("not_member", "not a member of this group");
  }
  const requireAdmin = () => {
    if (actor.role !== "admin")
      throw new StoreRejectedError("forbidden", "only admins may do this");
  };
  const say = (content: Omit<SystemContent, "type" | "actor">) =>
    appendSystem(q, id, change.actorId, change.actorDeviceId, now, {
      type: "system",
      actor: change.actorId,
      ...content,
    });
  let removed: string[] = [];
  let message: StoredMessage;
  switch (change.kind) {
    case "add": {
      requireAdmin();
      const wanted = [...new Set(change.users)];
      const current = await q<{ user_id: string }>(
        `SELECT user_id FROM members
         WHERE conversation_id = $1 AND user_id = ANY($2::text[]) AND left_seq IS NULL`,
        [id, wanted],
      );
      const already = new Set(current.map((r) => r.user_id));
      const fresh = wanted.filter((u) => !already.has(u));
      if (fresh.length === 0) throw new StoreRejectedError("conflict", "they are members already");
      await requireUsers(q, fresh);
      if (conv.member_count + fresh.length > change.maxMembers) {
        throw new StoreRejectedError(
          "limit_reached",
          `a group holds at most ${change.maxMembers} members`,
        );
      }
      message = await say({ event: "added", ...listedUsers(fresh) });
      // Someone who left earlier comes back through the same row, starting afresh.
      await q(
        `INSERT INTO members (conversation_id, user_id, role, joined_seq, updated_at)
         SELECT $1, u, 'member', $3, $4 FROM unnest($2::text[]) AS u
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
           role = 'member', joined_seq = excluded.joined_seq, left_seq = NULL,
           updated_at = excluded.updated_at`,
        [id, fresh, message.seq, now],
      );
      await addToCount(q, id, fresh.length);
      break;
    }
    case "remove": {
      requireAdmin();
      if ((await memberOf(q, id, change.user)) === undefined) {
        throw new StoreRejectedError("not_member", "that user is not a member");
      }
      message = await say({
        event: change.user === change.actorId ? "left" : "removed",
        users: [change.user],
      });
      removed = [change.user];
      await removeMember(q, id, change.user, message.seq);
      break;
    }
    case "leave": {
      message = await say({ event: "left", users: [change.actorId] });
      removed = [change.actorId];
      await removeMember(q, id, change.actorId, message.seq);
      break;
    }
    case "promote": {
      requireAdmin();
      const target = await memberOf(q, id, change.user);
      if (target === undefined) {
        throw new StoreRejectedError("not_member", "that user is not a member");
      }
      if (target.role === "admin") throw new StoreRejectedError("conflict", "already an admin");
      message = await say({ event: "promoted", users: [change.user] });
      await q("UPDATE members SET role = 'admin' WHERE conversation_id = $1 AND user_id = $2", [
        id,
        change.user,
      ]);
      break;
    }
    case "rename": {
      message = await say({ event: "renamed", name: change.name });
      await q("UPDATE conversations SET name = $2 WHERE id = $1", [id, change.name]);
      break;
    }
  }
  return { message, group: await mustGroup(q, id), removed };
}

/** Removes a member; if that left the group without an admin, the longest-standing member becomes one. */
async function removeMember(q: Query, id: string, userId: string, seq: number): Promise<void> {
  await q(
    `UPDATE members SET left_seq = $3, role = 'member'
     WHERE conversation_id = $1 AND user_id = $2`,
    [id, userId, seq],
  );
  await addToCount(q, id, -1);
  await q(
    `UPDATE members SET role = 'admin'
     WHERE conversation_id = $1
       AND NOT EXISTS (SELECT 1 FROM members
                       WHERE conversation_id = $1 AND role = 'admin' AND left_seq IS NULL)
       AND user_id = (SELECT user_id FROM members WHERE conversation_id = $1 AND left_seq IS NULL
                      ORDER BY joined_seq, user_id LIMIT 1)`,
    [id],
  );
}

async function addToCount(q: Query, id: string, delta: number): Promise<void> {
  await q("UPDATE conversations SET member_count = member_count + $2 WHERE id = $1", [id, delta]);
}

/** Appends a system message as the conversation's next seq (the caller holds, or takes, its lock). */
async function appendSystem(
  q: Query,
  conversationId: string,
  actorId: string,
  actorDeviceId: string,
  now: number,
  content: SystemContent,
): Promise<StoredMessage> {
  const [row] = await q<{ last_seq: number }>(
    "UPDATE conversations SET last_seq = last_seq + 1, last_ts = $2 WHERE id = $1 RETURNING last_seq",
    [conversationId, now],
  );
  if (row === undefined) throw new Error(`group ${conversationId} vanished inside its own change`);
  const message: StoredMessage = {
    conversationId,
    id: newId(),
    seq: row.last_seq,
    senderId: actorId,
    senderDeviceId: actorDeviceId,
    cid: `sys:${newId()}`,
    ts: now,
    content,
  };
  await q(
    `INSERT INTO messages (conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      message.conversationId,
      message.seq,
      message.id,
      message.senderId,
      message.senderDeviceId,
      message.cid,
      message.ts,
      JSON.stringify(content),
    ],
  );
  return message;
}

/** Throws no_such_user for the first id (in the given order) that has no account. */
async function requireUsers(q: Query, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const rows = await q<{ id: string }>("SELECT id FROM users WHERE id = ANY($1::text[])", [
    userIds,
  ]);
  const known = new Set(rows.map((r) => r.id));
  const missing = userIds.find((u) => !known.has(u));
  if (missing !== undefined) throw new StoreRejectedError("no_such_user", `no user ${missing}`);
}

async function mustGroup(q: Query, id: string): Promise<StoredGroup> {
  const group = await groupInfo(q, id);
  if (group === undefined) throw new Error(`group ${id} vanished inside its own transaction`);
  return group;
}

/** The group and its current members in one statement (one snapshot). */
export async function groupInfo(
  q: Query,
  conversationId: string,
): Promise<StoredGroup | undefined> {
  const rows = await q<{
    id: string;
    name: string;
    created_at: number;
    user_id: string | null;
    role: "admin" | "member" | null;
    joined_seq: number | null;
    username: string | null;
    display_name: string | null;
  }>(
    `SELECT c.id, c.name, c.created_at, m.user_id, m.role, m.joined_seq, u.username, u.display_name
     FROM conversations c
     LEFT JOIN members m ON m.conversation_id = c.id AND m.left_seq IS NULL
     LEFT JOIN users u ON u.id = m.user_id
     WHERE c.id = $1 AND c.kind = 'group'
     ORDER BY m.role = 'admin' DESC, m.joined_seq, m.user_id`,
    [conversationId],
  );
  const first = rows[0];
  if (first === undefined) return undefined;
  return {
    id: first.id,
    name: first.name,
    createdAt: first.created_at,
    members: rows.flatMap((m) =>
      m.user_id === null
        ? []
        : [
            {
              userId: m.user_id,
              role: m.role ?? "member",
              joinedSeq: m.joined_seq ?? 0,
              username: m.username ?? "",
              displayName: m.display_name ?? "",
            },
          ],
    ),
  };
}

export async function memberOf(
  q: Query,
  conversationId: string,
  userId: string,
): Promise<MemberInfo | undefined> {
  const [row] = await q<{ role: "admin" | "member"; joined_seq: number }>(
    `SELECT role, joined_seq FROM members
     WHERE conversation_id = $1 AND user_id = $2 AND left_seq IS NULL`,
    [conversationId, userId],
  );
  return row && { role: row.role, joinedSeq: row.joined_seq };
}

export async function lowestCursors(q: Query, conversationId: string): Promise<LowestCursors> {
  // One statement, so both lists come from one snapshot.
  const rows = await q<{ kind: "delivered" | "read"; user_id: string; seq: number }>(
    `(SELECT 'delivered' AS kind, user_id, delivered_seq AS seq FROM members
       WHERE conversation_id = $1 AND left_seq IS NULL ORDER BY delivered_seq, user_id LIMIT 2)
     UNION ALL
     (SELECT 'read', user_id, read_seq FROM members
       WHERE conversation_id = $1 AND left_seq IS NULL ORDER BY read_seq, user_id LIMIT 2)`,
    [conversationId],
  );
  const of = (kind: "delivered" | "read") =>
    rows.filter((r) => r.kind === kind).map((r) => ({ userId: r.user_id, seq: Number(r.seq) }));
  return { delivered: of("delivered"), read: of("read") };
}

export async function recentSenders(
  q: Query,
  conversationId: string,
  afterSeq: number,
): Promise<Array<{ userId: string; seq: number }>> {
  const rows = await q<{ sender_id: string; seq: number }>(
    `SELECT sender_id, max(seq) AS seq FROM messages
     WHERE conversation_id = $1
       AND seq > greatest($2::bigint, (SELECT last_seq FROM conversations WHERE id = $1) - $3)
     GROUP BY sender_id ORDER BY sender_id`,
    [conversationId, afterSeq, RECENT_WINDOW],
  );
  return rows.map((r) => ({ userId: r.sender_id, seq: r.seq }));
}

/** When each current member's cursors first reached `seq`, from the events moveCursors records. */
export async function messageReceipts(
  q: Query,
  conversationId: string,
  seq: number,
): Promise<MessageReceipt[]> {
  const rows = await q<{ user_id: string; delivered_at: number | null; read_at: number | null }>(
    `SELECT m.user_id,
       (SELECT min(at) FROM cursor_events e WHERE e.conversation_id = $1 AND e.user_id = m.user_id
          AND e.kind = 'delivered' AND e.seq >= $2) AS delivered_at,
       (SELECT min(at) FROM cursor_events e WHERE e.conversation_id = $1 AND e.user_id = m.user_id
          AND e.kind = 'read' AND e.seq >= $2) AS read_at
     FROM members m WHERE m.conversation_id = $1 AND m.left_seq IS NULL ORDER BY m.user_id`,
    [conversationId, seq],
  );
  return rows.map((r) => ({ userId: r.user_id, deliveredAt: r.delivered_at, readAt: r.read_at }));
}

export async function largeGroupsOf(
  q: Query,
  userId: string,
  minMembers: number,
): Promise<string[]> {
  const rows = await q<{ id: string }>(
    `SELECT c.id FROM members m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.user_id = $1 AND m.left_seq IS NULL AND c.kind = 'group' AND c.member_count >= $2
     ORDER BY c.id`,
    [userId, minMembers],
  );
  return rows.map((r) => r.id);
}
