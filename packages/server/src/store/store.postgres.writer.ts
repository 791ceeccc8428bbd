import type { Content } from "@courier/protocol";
import type { Pool, PoolClient } from "pg";
import { newId } from "./ids.ts";
import {
  InvalidRequestError,
  isRetryable,
  isUnavailable,
  toStoreError,
} from "./store.postgres.errors.ts";
import {
  type AppendResult,
  type CursorMove,
  type MemberCursor,
  type NewMessage,
  type StoredMessage,
  StoreUnavailableError,
} from "./store.ts";

/**
 * Group commit for PostgreSQL: `appendMessage` and `moveCursors` calls queue here; whatever queued
 * while the previous transaction was in flight (or in the same tick, when idle) commits as one
 * transaction of a handful of statements, whatever the batch size. Only one batch is in flight per
 * node, which keeps "one sender's messages get seqs in call order" true; across nodes the row lock
 * on `conversations` serialises seq assignment.
 *
 * Promises settle only after COMMIT returns. A batch that fails on a connection error rejects every
 * call in it with StoreUnavailableError; a batch that fails on one call's input is re-run call by
 * call, so that only that call fails.
 */

interface AppendJob {
  kind: "append";
  message: NewMessage;
  resolve(result: AppendResult): void;
  reject(error: Error): void;
}

interface CursorJob {
  kind: "cursors";
  moves: CursorMove[];
  resolve(result: MemberCursor[]): void;
  reject(error: Error): void;
}

type Job = AppendJob | CursorJob;

/** Work to do once the transaction committed (resolving) or failed for good (rejecting). */
type Settle = () => void;

export interface WriterOptions {
  /** Most calls in one transaction. */
  maxBatch: number;
  /** How long an idle writer waits for more calls before committing (0: the next tick). */
  lingerMs: number;
}

/** Whole-batch retries for deadlocks and cross-node races before giving up. */
const maxAttempts = 4;

export class PostgresWriter {
  readonly #pool: Pool;
  readonly #options: WriterOptions;
  #queue: Job[] = [];
  #running = false;
  #closed = false;
  #drained: (() => void) | undefined;

  constructor(pool: Pool, options: WriterOptions) {
    this.#pool = pool;
    this.#options = options;
  }

  append(message: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.#enqueue({ kind: "append", message, resolve, reject });
    });
  }

  moveCursors(moves: CursorMove[]): Promise<MemberCursor[]> {
    if (moves.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#enqueue({ kind: "cursors", moves, resolve, reject });
    });
  }

  /** Commits what is queued, then refuses new work. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#running && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
  }

  #enqueue(job: Job): void {
    if (this.#closed) {
      job.reject(new StoreUnavailableError("store is closed"));
      return;
    }
    this.#queue.push(job);
    if (this.#running) return; // the loop picks it up when the current batch commits
    this.#running = true;
    const start = () => void this.#loop();
    if (this.#options.lingerMs > 0) setTimeout(start, this.#options.lingerMs);
    else setImmediate(start);
  }

  async #loop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      await this.#run(batch);
    }
    this.#running = false;
    this.#drained?.();
  }

  /** Runs one batch to the end; never throws (every job is settled one way or the other). */
  async #run(jobs: Job[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      rejectAll(jobs, toStoreError(error));
      return;
    }
    listenForErrors(client);
    await this.#attempts(client, jobs);
  }

  async #attempts(client: PoolClient, jobs: Job[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const settle = await this.#transact(client, jobs);
        client.release();
        for (const s of settle) s();
        return;
      } catch (error) {
        if (isUnavailable(error)) {
          // The connection is broken or in an unknown state: destroy it, the pool opens a new one.
          client.release(true);
          rejectAll(jobs, toStoreError(error));
          return;
        }
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          client.release(true);
          rejectAll(jobs, toStoreError(rollbackError));
          return;
        }
        if (isRetryable(error) && attempt < maxAttempts) continue;
        client.release();
        if (jobs.length === 1) {
          rejectAll(jobs, toStoreError(error));
          return;
        }
        // One call's input broke the batch: run them one by one so that only it fails.
        for (const job of jobs) await this.#run([job]);
        return;
      }
    }
  }

  async #transact(client: PoolClient, jobs: Job[]): Promise<Settle[]> {
    const settle: Settle[] = [];
    const appends = jobs.filter((j): j is AppendJob => j.kind === "append");
    const cursors = jobs.filter((j): j is CursorJob => j.kind === "cursors");
    const now = Date.now();
    await client.query("BEGIN");
    if (appends.length > 0) await this.#appendAll(client, appends, now, settle);
    if (cursors.length > 0) await moveAll(client, cursors, now, settle);
    await client.query("COMMIT");
    return settle;
  }

  async #appendAll(
    client: PoolClient,
    jobs: AppendJob[],
    now: number,
    settle: Settle[],
  ): Promise<void> {
    // Lock the conversations in id order (the same order on every node, so no deadlock). A
    // concurrent append on another node waits here until it commits, and the lookup below, a
    // new statement, then sees what it wrote.
    const conversationIds = [...new Set(jobs.map((j) => j.message.conversationId))].sort();
    const locked = await client.query<{ id: string; last_seq: number }>(
      "SELECT id, last_seq FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
      [conversationIds],
    );
    const lastSeq = new Map(locked.rows.map((r) => [r.id, r.last_seq]));

    const known = await findSent(
      client,
      jobs.map((j) => j.message),
    );
    const rows = new MessageColumns();
    for (const job of jobs) {
      const input = job.message;
      const key = pairKey(input.senderId, input.cid);
      const prior = known.get(key);
      if (prior) {
        // A pruned message's content and sending device are gone: the retry carries the same
        // content by construction (the client resends its outbox), as in the SQLite store.
        const message: StoredMessage = {
          ...prior,
          senderDeviceId: prior.senderDeviceId ?? input.senderDeviceId,
          content: prior.content ?? input.content,
        };
        settle.push(() => job.resolve({ message, duplicate: true }));
        continue;
      }
      const last = lastSeq.get(input.conversationId);
      if (last === undefined) {
        settle.push(() =>
          job.reject(new InvalidRequestError(`no conversation ${input.conversationId}`)),
        );
        continue;
      }
      lastSeq.set(input.conversationId, last + 1);
      const message: StoredMessage = {
        conversationId: input.conversationId,
        id: newId(),
        seq: last + 1,
        senderId: input.senderId,
        senderDeviceId: input.senderDeviceId,
        cid: input.cid,
        ts: now,
        content: input.content,
      };
      known.set(key, message); // a second call with the same cid in this batch is its duplicate
      rows.push(message);
      settle.push(() => job.resolve({ message, duplicate: false }));
    }
    if (rows.length === 0) return;
    await client.query(
      `WITH v AS (
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::bigint[], $8::text[])
           AS v(conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content)
       ), m AS (
         INSERT INTO messages (conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content)
         SELECT * FROM v
       )
       UPDATE conversations c SET last_seq = x.last_seq, last_ts = x.last_ts
       FROM (SELECT conversation_id, max(seq) AS last_seq, max(ts) AS last_ts
             FROM v GROUP BY conversation_id) x
       WHERE c.id = x.conversation_id`,
      rows.params(),
    );
  }
}

const listening = new WeakSet<PoolClient>();

/**
 * A checked-out client also emits a lost connection as an 'error' event, which would crash the
 * process unheard (the pool listens only while the client is idle). The failing query reports
 * the same error, and that is where it is handled; so listen once per client, and ignore.
 */
function listenForErrors(client: PoolClient): void {
  if (listening.has(client)) return;
  listening.add(client);
  client.on("error", () => {});
}

function rejectAll(jobs: Job[], error: Error): void {
  for (const job of jobs) job.reject(error);
}

/** A map key for a pair of strings (any characters, no ambiguity). */
function pairKey(a: string, b: string): string {
  return JSON.stringify([a, b]);
}

/**
 * A stored send as the dedupe lookup finds it. Once relay mode pruned the message only its key
 * survives in `sent_cids`, without content or sending device.
 */
type SentMessage = Omit<StoredMessage, "content" | "senderDeviceId"> & {
  senderDeviceId: string | undefined;
  content: Content | undefined;
};

/** Earlier sends among `inputs`, by pairKey: in the log, or pruned with their key kept. */
async function findSent(
  client: PoolClient,
  inputs: NewMessage[],
): Promise<Map<string, SentMessage>> {
  const { rows } = await client.query<{
    sender_id: string;
    cid: string;
    conversation_id: string;
    seq: number;
    id: string;
    sender_device_id: string | null;
    ts: number;
    content: string | null;
  }>(
    // One statement, one snapshot: a prune that moves a key from messages to sent_cids
    // concurrently is seen on one side or the other, never neither.
    `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(sender_id, cid))
     SELECT m.sender_id, m.cid, m.conversation_id, m.seq, m.id, m.sender_device_id, m.ts, m.content
     FROM messages m JOIN k ON m.sender_id = k.sender_id AND m.cid = k.cid
     UNION ALL
     SELECT s.sender_id, s.cid, s.conversation_id, s.seq, s.id, NULL, s.ts, NULL
     FROM sent_cids s JOIN k ON s.sender_id = k.sender_id AND s.cid = k.cid`,
    [inputs.map((i) => i.senderId), inputs.map((i) => i.cid)],
  );
  const known = new Map<string, SentMessage>();
  for (const r of rows) {
    known.set(pairKey(r.sender_id, r.cid), {
      conversationId: r.conversation_id,
      id: r.id,
      seq: r.seq,
      senderId: r.sender_id,
      senderDeviceId: r.sender_device_id ?? undefined,
      cid: r.cid,
      ts: r.ts,
      content: r.content === null ? undefined : (JSON.parse(r.content) as Content),
    });
  }
  return known;
}

/** Column arrays for one multi-row insert through unnest (one bind parameter per column). */
class MessageColumns {
  readonly conversationId: string[] = [];
  readonly seq: number[] = [];
  readonly id: string[] = [];
  readonly senderId: string[] = [];
  readonly senderDeviceId: string[] = [];
  readonly cid: string[] = [];
  readonly ts: number[] = [];
  readonly content: string[] = [];

  get length(): number {
    return this.id.length;
  }

  push(m: StoredMessage): void {
    this.conversationId.push(m.conversationId);
    this.seq.push(m.seq);
    this.id.push(m.id);
    this.senderId.push(m.senderId);
    this.senderDeviceId.push(m.senderDeviceId);
    this.cid.push(m.cid);
    this.ts.push(m.ts);
    this.content.push(JSON.stringify(m.content));
  }

  params(): unknown[] {
    return [
      this.conversationId,
      this.seq,
      this.id,
      this.senderId,
      this.senderDeviceId,
      this.cid,
      this.ts,
      this.content,
    ];
  }
}

/**
 * Applies every cursor job of the batch with the SQLite store's rules: moves are clamped to the
 * conversation's last seq (an ack from the future must not let relay mode prune unseen messages),
 * or, for a group member who left, to the seq of their leaving; a move in a conversation the user
 * was never a member of is ignored; each call resolves with the member cursors it advanced, once
 * per (conversation, user), with their final value. In groups every advance is also recorded in
 * `cursor_events` (message info: when each member got / read each message).
 *
 * The member cursors are read under row lock and advanced in memory in call order (a member
 * cursor is the max over the member's device cursors, which only grow, so it is
 * max(member cursor, move)); then device and member cursors are written in one statement, which
 * also sets `conversations.cursors_at` (receiptsSince) to the batch's time once for each group
 * in which a member cursor advanced.
 *
 * Locks follow the order of appends and group changes, conversation row before member rows, or
 * a batch here and one there could each wait for the other: so the batch's groups are locked
 * first (sorted), whether or not their cursors end up advancing. That serialises the cursor
 * batches of one group across nodes, as its appends already are.
 */
async function moveAll(
  client: PoolClient,
  jobs: CursorJob[],
  now: number,
  settle: Settle[],
): Promise<void> {
  const memberKeys = new Map<string, { conversationId: string; userId: string }>();
  for (const job of jobs) {
    for (const m of job.moves) {
      memberKeys.set(pairKey(m.conversationId, m.userId), {
        conversationId: m.conversationId,
        userId: m.userId,
      });
    }
  }
  const keys = [...memberKeys.values()].sort(
    (a, b) => cmp(a.conversationId, b.conversationId) || cmp(a.userId, b.userId),
  );
  const groupIds = [...new Set(keys.map((k) => k.conversationId))].filter((id) =>
    id.startsWith("g:"),
  );
  if (groupIds.length > 0) {
    await client.query(
      "SELECT 1 FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE",
      [groupIds],
    );
  }
  const { rows } = await client.query<{
    conversation_id: string;
    user_id: string;
    delivered_seq: number;
    read_seq: number;
    last_seq: number;
  }>(
    `SELECT m.conversation_id, m.user_id, m.delivered_seq, m.read_seq,
            coalesce(m.left_seq, c.last_seq) AS last_seq
     FROM members m
     JOIN unnest($1::text[], $2::text[]) AS k(conversation_id, user_id)
       ON m.conversation_id = k.conversation_id AND m.user_id = k.user_id
     JOIN conversations c ON c.id = m.conversation_id
     ORDER BY m.conversation_id, m.user_id
     FOR UPDATE OF m`,
    [keys.map((k) => k.conversationId), keys.map((k) => k.userId)],
  );
  const members = new Map<string, MemberCursor & { lastSeq: number }>();
  for (const r of rows) {
    members.set(pairKey(r.conversation_id, r.user_id), {
      conversationId: r.conversation_id,
      userId: r.user_id,
      delivered: r.delivered_seq,
      read: r.read_seq,
      lastSeq: r.last_seq,
    });
  }

  const changedMembers = new Map<string, MemberCursor>();
  const events = new Map<string, CursorEvent>();
  const devices = new Map<string, DeviceCursor>();
  for (const job of jobs) {
    const advanced = new Map<string, MemberCursor>();
    for (const move of job.moves) {
      const key = pairKey(move.conversationId, move.userId);
      const member = members.get(key);
      if (!member) continue; // not a member (or no such conversation): nothing to move
      const delivered = clamp(move.delivered, member.lastSeq);
      const read = clamp(move.read, member.lastSeq);
      if (delivered === 0 && read === 0) continue;
      const deviceKey = pairKey(move.deviceId, move.conversationId);
      const device = devices.get(deviceKey);
      devices.set(deviceKey, {
        deviceId: move.deviceId,
        conversationId: move.conversationId,
        delivered: Math.max(device?.delivered ?? 0, delivered),
        read: Math.max(device?.read ?? 0, read),
      });
      if (delivered <= member.delivered && read <= member.read) continue;
      member.delivered = Math.max(member.delivered, delivered);
      member.read = Math.max(member.read, read);
      const cursor: MemberCursor = {
        conversationId: member.conversationId,
        userId: member.userId,
        delivered: member.delivered,
        read: member.read,
      };
      changedMembers.set(key, cursor);
      advanced.set(key, cursor);
      if (cursor.conversationId.startsWith("g:")) {
        for (const kind of ["delivered", "read"] as const) {
          const seq = cursor[kind];
          if (seq === 0) continue;
          const event = { conversationId: cursor.conversationId, userId: cursor.userId, kind, seq };
          events.set(JSON.stringify(Object.values(event)), event);
        }
      }
    }
    const result = [...advanced.values()];
    settle.push(() => job.resolve(result));
  }
  if (devices.size === 0) return;

  // Sorted, so that every node takes the device-cursor row locks in the same order.
  const d = [...devices.values()].sort(
    (a, b) => cmp(a.deviceId, b.deviceId) || cmp(a.conversationId, b.conversationId),
  );
  const m = [...changedMembers.values()];
  const stamped = [...new Set(m.map((x) => x.conversationId))].filter((id) => id.startsWith("g:"));
  await client.query(
    `WITH d AS (
       INSERT INTO device_cursors (device_id, conversation_id, delivered_seq, read_seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
       ON CONFLICT (device_id, conversation_id) DO UPDATE SET
         delivered_seq = greatest(device_cursors.delivered_seq, excluded.delivered_seq),
         read_seq = greatest(device_cursors.read_seq, excluded.read_seq)
       WHERE excluded.delivered_seq > device_cursors.delivered_seq
          OR excluded.read_seq > device_cursors.read_seq
     ), c AS (
       -- Never back: another node's clock may be ahead of ours.
       UPDATE conversations SET cursors_at = $5::bigint
       WHERE id = ANY($10::text[]) AND cursors_at < $5::bigint
     )
     UPDATE members m SET delivered_seq = x.delivered, read_seq = x.read, updated_at = $5::bigint
     FROM unnest($6::text[], $7::text[], $8::bigint[], $9::bigint[])
       AS x(conversation_id, user_id, delivered, read)
     WHERE m.conversation_id = x.conversation_id AND m.user_id = x.user_id`,
    [
      d.map((x) => x.deviceId),
      d.map((x) => x.conversationId),
      d.map((x) => x.delivered),
      d.map((x) => x.read),
      now,
      m.map((x) => x.conversationId),
      m.map((x) => x.userId),
      m.map((x) => x.delivered),
      m.map((x) => x.read),
      stamped,
    ],
  );
  if (events.size === 0) return;
  // The member row locks taken above make each (conversation, user)'s events this batch's alone.
  const e = [...events.values()];
  await client.query(
    `INSERT INTO cursor_events (conversation_id, user_id, kind, seq, at)
     SELECT *, $5::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT DO NOTHING`,
    [
      e.map((x) => x.conversationId),
      e.map((x) => x.userId),
      e.map((x) => x.kind),
      e.map((x) => x.seq),
      now,
    ],
  );
}

interface CursorEvent {
  conversationId: string;
  userId: string;
  kind: "delivered" | "read";
  seq: number;
}

/** A cursor value made safe: whole, not negative, not past the conversation's last seq. */
function clamp(seq: number | undefined, last: number): number {
  if (seq === undefined || !Number.isFinite(seq) || seq < 0) return 0;
  return Math.min(Math.floor(seq), last);
}

interface DeviceCursor {
  deviceId: string;
  conversationId: string;
  delivered: number;
  read: number;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
