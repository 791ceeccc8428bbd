import type { Content } from "@courier/protocol";
import pg from "pg";
import { newId } from "./ids.ts";
import {
  type DeviceRow,
  type MessageRow,
  toDevice,
  toMessage,
  toUser,
  type UserRow,
} from "./rows.ts";
import {
  isRetryable,
  isUnavailable,
  isUniqueViolation,
  toStoreError,
} from "./store.postgres.errors.ts";
import * as groups from "./store.postgres.groups.ts";
import { migrate } from "./store.postgres.migrations.ts";
import { PostgresWriter } from "./store.postgres.writer.ts";
import {
  type AppendResult,
  type ConversationRow,
  type CursorMove,
  type GroupChange,
  type GroupChangeResult,
  type LowestCursors,
  type MemberCursor,
  type MemberInfo,
  type MessageReceipt,
  type MissedReceipts,
  type NewDevice,
  type NewGroup,
  type NewMessage,
  type NewUser,
  type PendingConversation,
  type Store,
  StoreConflictError,
  type StoredDevice,
  type StoredGroup,
  type StoredMessage,
  type StoredUser,
  StoreRejectedError,
  StoreUnavailableError,
} from "./store.ts";

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/db`; `?options=-c search_path=x` selects a schema. */
  url: string;
  /** Pool size per node. Writes use one connection at a time (group commit); reads the rest. */
  poolSize?: number;
  /** Most calls committed in one write transaction. */
  maxBatch?: number;
  /** How long an idle writer waits to gather a batch; 0 commits on the next tick. */
  lingerMs?: number;
  /** A query (or getting a connection) that takes longer fails as unavailable. */
  queryTimeoutMs?: number;
  /** How long `open` keeps retrying while PostgreSQL is not reachable yet (node boot order). */
  startupTimeoutMs?: number;
  /** Called for errors of idle pooled connections (they are dropped and replaced). */
  onIdleError?: (error: Error) => void;
}

/**
 * The cluster store: every node of a cluster talks to the same PostgreSQL. The contract is the
 * Store interface's. Writes go through the group-commit writer; reads go straight to the pool.
 *
 * When PostgreSQL goes away, calls reject with StoreUnavailableError (nothing is acked that is not
 * committed); the pool replaces broken connections on the next call, so the store recovers by
 * itself when the database is back.
 */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #writer: PostgresWriter;
  #closed = false;

  private constructor(pool: pg.Pool, options: PostgresStoreOptions) {
    this.#pool = pool;
    this.#writer = new PostgresWriter(pool, {
      maxBatch: options.maxBatch ?? 2000,
      lingerMs: options.lingerMs ?? 0,
    });
  }

  /** Connects and migrates the schema (safe from several nodes at once). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const timeout = options.queryTimeoutMs ?? 10_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      keepAlive: true,
      // bigint columns hold ms timestamps and seqs, well inside 2^53: read them as numbers.
      // Set per pool, not on the global pg.types, so other users of `pg` are unaffected.
      types: { getTypeParser: bigintAsNumber },
    });
    // An idle connection that dies (server restart) emits here; without a listener that would
    // crash the process. The pool drops it and connects anew when next needed.
    pool.on("error", (error) => options.onIdleError?.(error));
    const deadline = Date.now() + (options.startupTimeoutMs ?? 30_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        const client = await pool.connect();
        try {
          await migrate(client);
        } finally {
          client.release();
        }
        break;
      } catch (error) {
        const storeError = toStoreError(error);
        if (!(storeError instanceof StoreUnavailableError) || Date.now() + delay > deadline) {
          await pool.end().catch(() => {});
          throw storeError;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return new PostgresStore(pool, options);
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    if (this.#closed) throw new StoreUnavailableError("store is closed");
    try {
      return (await this.#pool.query<R>(text, values)).rows;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** `#query` as the group functions take it. */
  readonly #q: groups.Query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) =>
    this.#query<R>(text, values);

  /**
   * Runs `fn` in a transaction of its own (group changes: rare, so not group-committed). Retries
   * deadlocks and serialisation failures; a StoreRejectedError rolls back and is rethrown as is.
   */
  async #transaction<T>(fn: (q: groups.Query, now: number) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError("store is closed");
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw toStoreError(error);
      }
      // A checked-out client reports a lost connection as an event too; the failing query
      // reports it where it is handled, so the event itself is ignored (see the writer).
      client.on("error", ignore);
      const q: groups.Query = async <R extends pg.QueryResultRow>(
        text: string,
        values: unknown[],
      ) => (await client.query<R>(text, values)).rows;
      try {
        await client.query("BEGIN");
        const result = await fn(q, Date.now());
        await client.query("COMMIT");
        client.off("error", ignore);
        client.release();
        return result;
      } catch (error) {
        if (!(error instanceof StoreRejectedError) && isUnavailable(error)) {
          client.release(true);
          throw toStoreError(error);
        }
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          client.release(true);
          throw toStoreError(rollbackError);
        }
        client.off("error", ignore);
        client.release();
        if (isRetryable(error) && attempt < 4) continue;
        throw error;
      }
    }
  }

  // --- accounts and devices ---

  async createUser(user: NewUser): Promise<StoredUser> {
    const stored: StoredUser = { id: newId(), ...user, createdAt: Date.now() };
    try {
      await this.#pool.query(
        `INSERT INTO users (id, username, display_name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [stored.id, stored.username, stored.displayName, stored.passwordHash, stored.createdAt],
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StoreConflictError(`username ${user.username} is taken`);
      }
      throw toStoreError(error);
    }
    return stored;
  }

  async userById(id: string): Promise<StoredUser | undefined> {
    const rows = await this.#query<UserRow>(`${selectUser} WHERE id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async userByName(username: string): Promise<StoredUser | undefined> {
    const rows = await this.#query<UserRow>(`${selectUser} WHERE username = $1`, [username]);
    return rows[0] && toUser(rows[0]);
  }

  async searchUsers(prefix: string, limit: number): Promise<StoredUser[]> {
    // A range on the username index, as in SQLite: [prefix, prefix + U+10FFFF). The column is
    // COLLATE "C", so the range and the order are byte order.
    const rows = await this.#query<UserRow>(
      `${selectUser} WHERE username >= $1 AND username < $2 ORDER BY username LIMIT $3`,
      [prefix, `${prefix}\u{10FFFF}`, Math.max(0, limit)],
    );
    return rows.map(toUser);
  }

  async setDisplayName(userId: string, displayName: string): Promise<void> {
    await this.#query("UPDATE users SET display_name = $2 WHERE id = $1", [userId, displayName]);
  }

  async createDevice(device: NewDevice): Promise<StoredDevice> {
    const now = Date.now();
    const stored: StoredDevice = {
      id: newId(),
      userId: device.userId,
      name: device.name,
      createdAt: now,
      lastActiveAt: now,
    };
    await this.#query(
      `INSERT INTO devices (id, user_id, name, token_hash, created_at, last_active_at)
       VALUES ($1, $2, $3, $4, $5, $5)`,
      [stored.id, stored.userId, stored.name, device.tokenHash, now],
    );
    return stored;
  }

  async deviceByTokenHash(tokenHash: string): Promise<StoredDevice | undefined> {
    const rows = await this.#query<DeviceRow>(
      `${selectDevice} WHERE token_hash = $1 AND revoked_at IS NULL`,
      [tokenHash],
    );
    return rows[0] && toDevice(rows[0]);
  }

  async devicesOf(userId: string): Promise<StoredDevice[]> {
    const rows = await this.#query<DeviceRow>(
      `${selectDevice} WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id`,
      [userId],
    );
    return rows.map(toDevice);
  }

  async revokeDevice(userId: string, deviceId: string): Promise<boolean> {
    const rows = await this.#query<{ id: string }>(
      `UPDATE devices SET revoked_at = $3
       WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
      [deviceId, userId, Date.now()],
    );
    return rows.length > 0;
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    await this.#query("UPDATE devices SET last_active_at = $2 WHERE id = $1", [deviceId, at]);
  }

  // --- conversations ---

  async ensureDirectConversation(
    conversationId: string,
    userA: string,
    userB: string,
  ): Promise<void> {
    // One statement, so that two nodes racing to create the same conversation both succeed, and
    // an unknown user (foreign key) leaves no conversation without members.
    await this.#query(
      `WITH c AS (
         INSERT INTO conversations (id, kind, created_at) VALUES ($1, 'direct', $4)
         ON CONFLICT (id) DO NOTHING
       )
       INSERT INTO members (conversation_id, user_id, updated_at)
       SELECT $1, u, $4 FROM unnest(ARRAY[$2, $3]::text[]) AS u
       ON CONFLICT (conversation_id, user_id) DO NOTHING`,
      [conversationId, userA, userB, Date.now()],
    );
  }

  async membersOf(conversationId: string): Promise<string[] | undefined> {
    const rows = await this.#query<{ user_id: string | null }>(
      `SELECT m.user_id FROM conversations c
       LEFT JOIN members m ON m.conversation_id = c.id AND m.left_seq IS NULL
       WHERE c.id = $1 ORDER BY m.user_id`,
      [conversationId],
    );
    if (rows.length === 0) return undefined;
    return rows.flatMap((r) => (r.user_id === null ? [] : [r.user_id]));
  }

  async conversationsOf(userId: string): Promise<ConversationRow[]> {
    const rows = await this.#query<ConversationQueryRow>(
      `SELECT c.id, c.kind, c.name, c.member_count, c.last_seq, me.delivered_seq, me.read_seq,
              (SELECT count(*) FROM messages u
               WHERE u.conversation_id = c.id AND u.seq > greatest(me.read_seq, me.joined_seq - 1)
                 AND u.sender_id <> $1)::int
                AS unread,
              l.id AS l_id, l.seq AS l_seq, l.sender_id AS l_sender_id,
              l.sender_device_id AS l_sender_device_id, l.cid AS l_cid, l.ts AS l_ts,
              l.content AS l_content
       FROM members me
       JOIN conversations c ON c.id = me.conversation_id
       LEFT JOIN messages l ON l.conversation_id = c.id AND l.seq = c.last_seq
       WHERE me.user_id = $1 AND me.left_seq IS NULL
       ORDER BY coalesce(c.last_ts, c.created_at) DESC, c.id`,
      [userId],
    );
    if (rows.length === 0) return [];
    // Direct conversations list both members' cursors; groups can be large, so their row
    // carries only the lowest cursors of the other current members.
    const direct = rows.filter((r) => r.kind === "direct").map((r) => r.id);
    const memberRows =
      direct.length === 0
        ? []
        : await this.#query<MemberCursorRow>(
            `SELECT conversation_id, user_id, delivered_seq, read_seq FROM members
             WHERE conversation_id = ANY($1::text[]) ORDER BY user_id`,
            [direct],
          );
    const lowest = await this.#query<{ conversation_id: string; delivered: number; read: number }>(
      `SELECT conversation_id, min(delivered_seq) AS delivered, min(read_seq) AS read
       FROM members
       WHERE conversation_id = ANY($1::text[]) AND user_id <> $2 AND left_seq IS NULL
       GROUP BY conversation_id`,
      [rows.map((r) => r.id), userId],
    );
    const lowestOf = new Map(lowest.map((l) => [l.conversation_id, l]));
    const byConversation = new Map<string, MemberCursor[]>();
    for (const m of memberRows) {
      const list = byConversation.get(m.conversation_id) ?? [];
      list.push(toMemberCursor(m));
      byConversation.set(m.conversation_id, list);
    }
    return rows.map((r) => {
      const all = byConversation.get(r.id) ?? [];
      const low = lowestOf.get(r.id);
      return {
        id: r.id,
        kind: r.kind,
        name: r.name,
        memberCount: r.member_count,
        othersDelivered: low?.delivered ?? 0,
        othersRead: low?.read ?? 0,
        members: all.map((m) => m.userId),
        lastSeq: r.last_seq,
        lastMessage:
          r.l_id === null
            ? null
            : {
                conversationId: r.id,
                id: r.l_id,
                seq: r.l_seq as number,
                senderId: r.l_sender_id as string,
                senderDeviceId: r.l_sender_device_id as string,
                cid: r.l_cid as string,
                ts: r.l_ts as number,
                content: JSON.parse(r.l_content as string) as Content,
              },
        delivered: r.delivered_seq,
        read: r.read_seq,
        unread: r.unread,
        others: all.filter((m) => m.userId !== userId),
      };
    });
  }

  async contactsOf(userId: string): Promise<string[]> {
    const rows = await this.#query<{ user_id: string }>(
      `SELECT DISTINCT o.user_id FROM members me
       JOIN conversations c ON c.id = me.conversation_id AND c.kind = 'direct'
       JOIN members o ON o.conversation_id = me.conversation_id AND o.user_id <> me.user_id
       WHERE me.user_id = $1
       ORDER BY o.user_id`,
      [userId],
    );
    return rows.map((r) => r.user_id);
  }

  // --- messages ---

  appendMessage(message: NewMessage): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError("store is closed"));
    return this.#writer.append(message);
  }

  async messagesAfter(
    conversationId: string,
    afterSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const rows = await this.#query<MessageRow>(
      `${selectMessage} WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [conversationId, afterSeq, limit],
    );
    return rows.map(toMessage);
  }

  async messagesBefore(
    conversationId: string,
    beforeSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const rows = await this.#query<MessageRow>(
      `SELECT * FROM (${selectMessage} WHERE conversation_id = $1 AND seq < $2
                      ORDER BY seq DESC LIMIT $3) newest
       ORDER BY seq`,
      [conversationId, beforeSeq, limit],
    );
    return rows.map(toMessage);
  }

  // --- cursors and receipts ---

  moveCursors(moves: CursorMove[]): Promise<MemberCursor[]> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError("store is closed"));
    return this.#writer.moveCursors(moves);
  }

  async pendingFor(userId: string, deviceId: string): Promise<PendingConversation[]> {
    const rows = await this.#query<{ id: string; delivered: number; last_seq: number }>(
      // A group member sees the log after their join and, once they left, up to their leaving.
      `SELECT c.id, greatest(coalesce(dc.delivered_seq, 0), me.joined_seq - 1) AS delivered,
              coalesce(me.left_seq, c.last_seq) AS last_seq
       FROM members me
       JOIN conversations c ON c.id = me.conversation_id
       LEFT JOIN device_cursors dc ON dc.device_id = $2 AND dc.conversation_id = c.id
       WHERE me.user_id = $1
         AND coalesce(me.left_seq, c.last_seq) > greatest(coalesce(dc.delivered_seq, 0), me.joined_seq - 1)
       ORDER BY c.id`,
      [userId, deviceId],
    );
    return rows.map((r) => ({ conversationId: r.id, delivered: r.delivered, lastSeq: r.last_seq }));
  }

  /**
   * As the SQLite store (see `store.sqlite.cursors.ts:receiptsSince`): the direct part joins only
   * the user's `d:` rows; a group is one seek of its `cursors_at` (migration 4) in the
   * conversations primary key, never a read of its member rows. One round trip: group rows come
   * back with a NULL user_id.
   */
  async receiptsSince(userId: string, since: number): Promise<MissedReceipts> {
    const rows = await this.#query<MemberCursorRow | { conversation_id: string; user_id: null }>(
      `SELECT o.conversation_id, o.user_id, o.delivered_seq, o.read_seq
       FROM members me
       JOIN members o ON o.conversation_id = me.conversation_id AND o.user_id <> me.user_id
         AND o.left_seq IS NULL
       WHERE me.user_id = $1 AND me.conversation_id >= 'd:' AND me.conversation_id < 'd;'
         AND me.left_seq IS NULL AND o.updated_at >= $2
       UNION ALL
       SELECT me.conversation_id, NULL, NULL, NULL
       FROM members me
       JOIN conversations c ON c.id = me.conversation_id
       WHERE me.user_id = $1 AND me.conversation_id >= 'g:' AND me.conversation_id < 'g;'
         AND me.left_seq IS NULL AND c.cursors_at >= $2
       ORDER BY 1, 2`,
      [userId, since],
    );
    const direct: MemberCursor[] = [];
    const groups: string[] = [];
    for (const r of rows) {
      if (r.user_id === null) groups.push(r.conversation_id);
      else direct.push(toMemberCursor(r));
    }
    return { direct, groups };
  }

  // --- retention ---

  /**
   * Relay mode, with the SQLite store's rule (see `store.sqlite.prune.ts` for the reasoning): with
   * M1 the lowest delivered cursor over the active devices of all members (held by device d1; a
   * member without any active device counts once, at their member cursor) and M2 the next
   * lowest, a message goes when seq <= M1, or when its sender is d1 and seq <= M2. One statement,
   * so the keys' move to sent_cids and the delete are atomic to the append path's dedupe lookup.
   */
  async pruneDelivered(conversationId: string): Promise<number> {
    const rows = await this.#query<{ n: number }>(
      `WITH conv AS (
         SELECT last_seq FROM conversations WHERE id = $1
       ), lowest AS (
         SELECT d.id AS device, coalesce(dc.delivered_seq, 0) AS delivered
         FROM members m
         JOIN devices d ON d.user_id = m.user_id AND d.revoked_at IS NULL
         LEFT JOIN device_cursors dc ON dc.device_id = d.id AND dc.conversation_id = m.conversation_id
         WHERE m.conversation_id = $1 AND m.left_seq IS NULL
         UNION ALL
         SELECT NULL, m.delivered_seq
         FROM members m
         WHERE m.conversation_id = $1 AND m.left_seq IS NULL
           AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = m.user_id AND d.revoked_at IS NULL)
         ORDER BY delivered, device
         LIMIT 2
       ), bounds AS (
         SELECT (SELECT device FROM lowest ORDER BY delivered, device LIMIT 1) AS d1,
                coalesce((SELECT delivered FROM lowest ORDER BY delivered, device LIMIT 1),
                         conv.last_seq) AS m1,
                coalesce((SELECT delivered FROM lowest ORDER BY delivered, device OFFSET 1 LIMIT 1),
                         conv.last_seq) AS m2
         FROM conv
       ), gone AS (
         DELETE FROM messages m USING bounds b
         WHERE m.conversation_id = $1 AND m.seq <= b.m2
           AND (m.seq <= b.m1 OR m.sender_device_id = b.d1)
         RETURNING m.sender_id, m.cid, m.conversation_id, m.seq, m.id, m.ts
       ), kept AS (
         INSERT INTO sent_cids (sender_id, cid, conversation_id, seq, id, ts)
         SELECT * FROM gone
         ON CONFLICT DO NOTHING
       )
       SELECT count(*)::int AS n FROM gone`,
      [conversationId],
    );
    return rows[0]?.n ?? 0;
  }

  async expireSentCids(before: number, limit: number): Promise<number> {
    const rows = await this.#query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM sent_cids WHERE (sender_id, cid) IN
           (SELECT sender_id, cid FROM sent_cids WHERE ts < $1 ORDER BY ts LIMIT $2)
         RETURNING 1
       )
       SELECT count(*)::int AS n FROM gone`,
      [before, limit],
    );
    return rows[0]?.n ?? 0;
  }

  /** `SELECT 1` on a pooled connection, within 2 s (a health check must answer quickly). */
  async health(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#query("SELECT 1", []),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new StoreUnavailableError("PostgreSQL did not answer within 2 s")),
            2000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  // --- groups ---

  createGroup(group: NewGroup): Promise<GroupChangeResult> {
    return this.#transaction((q, now) => groups.createGroup(q, group, now));
  }

  changeGroup(change: GroupChange): Promise<GroupChangeResult> {
    return this.#transaction((q, now) => groups.changeGroup(q, change, now));
  }

  groupInfo(conversationId: string): Promise<StoredGroup | undefined> {
    return groups.groupInfo(this.#q, conversationId);
  }

  memberOf(conversationId: string, userId: string): Promise<MemberInfo | undefined> {
    return groups.memberOf(this.#q, conversationId, userId);
  }

  lowestCursors(conversationId: string): Promise<LowestCursors> {
    return groups.lowestCursors(this.#q, conversationId);
  }

  recentSenders(
    conversationId: string,
    afterSeq: number,
  ): Promise<Array<{ userId: string; seq: number }>> {
    return groups.recentSenders(this.#q, conversationId, afterSeq);
  }

  messageReceipts(conversationId: string, seq: number): Promise<MessageReceipt[]> {
    return groups.messageReceipts(this.#q, conversationId, seq);
  }

  largeGroupsOf(userId: string, minMembers: number): Promise<string[]> {
    return groups.largeGroupsOf(this.#q, userId, minMembers);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writer.close();
    this.#closed = true;
    await this.#pool.end();
  }
}

function ignore(): void {}

/** pg's type-parser hook: int8 (OID 20) as a JS number; everything else as pg parses it. */
function bigintAsNumber(oid: number, format?: "text" | "binary"): (value: string) => unknown {
  if (oid === 20) return Number;
  // The overloads of getTypeParser differ only in format; text is all this pool uses.
  return pg.types.getTypeParser(oid, format === "binary" ? "binary" : "text") as (
    value: string,
  ) => unknown;
}

const selectUser = "SELECT id, username, display_name, password_hash, created_at FROM users";
const selectDevice = "SELECT id, user_id, name, created_at, last_active_at FROM devices";
const selectMessage = `SELECT conversation_id, id, seq, sender_id, sender_device_id, cid, ts, content
  FROM messages`;

interface MemberCursorRow {
  conversation_id: string;
  user_id: string;
  delivered_seq: number;
  read_seq: number;
}

function toMemberCursor(r: MemberCursorRow): MemberCursor {
  return {
    conversationId: r.conversation_id,
    userId: r.user_id,
    delivered: r.delivered_seq,
    read: r.read_seq,
  };
}

interface ConversationQueryRow {
  id: string;
  kind: "direct" | "group";
  name: string | null;
  member_count: number;
  last_seq: number;
  delivered_seq: number;
  read_seq: number;
  unread: number;
  l_id: string | null;
  l_seq: number | null;
  l_sender_id: string | null;
  l_sender_device_id: string | null;
  l_cid: string | null;
  l_ts: number | null;
  l_content: string | null;
}
