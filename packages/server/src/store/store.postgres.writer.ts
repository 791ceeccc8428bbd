import type { Content } from "@courier/protocol";
import type { Pool, PoolClient } from "pg";
import { isRetryable, isUnavailable, toStoreError } from "./store.postgres.errors.ts";
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
  newId(): string;
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
      const key = sentKey(input.senderId, input.cid);
      const prior = known.get(key);
      if (prior) {
        settle.push(() =>
          job.resolve({
            message: { ...prior, content: prior.content ?? input.content },
            duplicate: true,
          }),
        );
        continue;
      }
      const last = lastSeq.get(input.conversationId);
      if (last === undefined) {
        settle.push(() => job.reject(new Error(`no conversation ${input.conversationId}`)));
        continue;
      }
      lastSeq.set(input.conversationId, last + 1);
      const message: StoredMessage = {
        conversationId: input.conversationId,
        id: this.#options.newId(),
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
       ), s AS (
         INSERT INTO sent_cids (sender_id, cid, conversation_id, seq, id, sender_device_id, ts)
         SELECT sender_id, cid, conversation_id, seq, id, sender_device_id, ts FROM v
       )
       UPDATE conversations c SET last_seq = x.last_seq, last_ts = x.last_ts
       FROM (SELECT conversation_id, max(seq) AS last_seq, max(ts) AS last_ts
             FROM v GROUP BY conversation_id) x
       WHERE c.id = x.conversation_id`,
      rows.params(),
    );
  }
}

function rejectAll(jobs: Job[], error: Error): void {
  for (const job of jobs) job.reject(error);
}

function sentKey(senderId: string, cid: string): string {
  return JSON.stringify([senderId, cid]);
}

/** A stored send as the idempotency table knows it; content is missing once relay mode pruned it. */
type SentMessage = Omit<StoredMessage, "content"> & { content: Content | undefined };

/** Earlier sends among `inputs`, by sentKey. */
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
    sender_device_id: string;
    ts: number;
    content: string | null;
  }>(
    `SELECT s.sender_id, s.cid, s.conversation_id, s.seq, s.id, s.sender_device_id, s.ts, m.content
     FROM sent_cids s
     JOIN unnest($1::text[], $2::text[]) AS k(sender_id, cid)
       ON s.sender_id = k.sender_id AND s.cid = k.cid
     LEFT JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq = s.seq`,
    [inputs.map((i) => i.senderId), inputs.map((i) => i.cid)],
  );
  const known = new Map<string, SentMessage>();
  for (const r of rows) {
    known.set(sentKey(r.sender_id, r.cid), {
      conversationId: r.conversation_id,
      id: r.id,
      seq: r.seq,
      senderId: r.sender_id,
      senderDeviceId: r.sender_device_id,
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
 * Applies every cursor job of the batch: reads the member cursors under row lock, works out in
 * call order which member cursors each call advanced (that is what it resolves with), then writes
 * device and member cursors in one statement.
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
      memberKeys.set(sentKey(m.conversationId, m.userId), {
        conversationId: m.conversationId,
        userId: m.userId,
      });
    }
  }
  const keys = [...memberKeys.values()].sort(
    (a, b) => cmp(a.conversationId, b.conversationId) || cmp(a.userId, b.userId),
  );
  const { rows } = await client.query<MemberCursorRow>(
    `SELECT m.conversation_id, m.user_id, m.delivered, m.read
     FROM members m
     JOIN unnest($1::text[], $2::text[]) AS k(conversation_id, user_id)
       ON m.conversation_id = k.conversation_id AND m.user_id = k.user_id
     ORDER BY m.conversation_id, m.user_id
     FOR UPDATE OF m`,
    [keys.map((k) => k.conversationId), keys.map((k) => k.userId)],
  );
  const members = new Map<string, MemberCursor>();
  for (const r of rows) {
    members.set(sentKey(r.conversation_id, r.user_id), {
      conversationId: r.conversation_id,
      userId: r.user_id,
      delivered: r.delivered,
      read: r.read,
    });
  }

  const changedMembers = new Map<string, MemberCursor>();
  const devices = new Map<string, DeviceCursor>();
  for (const job of jobs) {
    const advanced = new Map<string, MemberCursor>();
    for (const move of job.moves) {
      const key = sentKey(move.conversationId, move.userId);
      const member = members.get(key);
      if (!member) continue; // not a member: nothing to move
      const delivered = Math.max(member.delivered, move.delivered ?? 0);
      const read = Math.max(member.read, move.read ?? 0);
      const deviceKey = sentKey(move.conversationId, move.deviceId);
      const device = devices.get(deviceKey);
      devices.set(deviceKey, {
        conversationId: move.conversationId,
        deviceId: move.deviceId,
        userId: move.userId,
        delivered: Math.max(device?.delivered ?? 0, move.delivered ?? 0),
        read: Math.max(device?.read ?? 0, move.read ?? 0),
      });
      if (delivered === member.delivered && read === member.read) continue;
      const next = { ...member, delivered, read };
      members.set(key, next);
      changedMembers.set(key, next);
      advanced.set(key, next);
    }
    const result = [...advanced.values()];
    settle.push(() => job.resolve(result));
  }
  if (devices.size === 0) return;

  const d = [...devices.values()].sort(
    (a, b) => cmp(a.conversationId, b.conversationId) || cmp(a.deviceId, b.deviceId),
  );
  const m = [...changedMembers.values()];
  await client.query(
    `WITH d AS (
       INSERT INTO device_cursors (conversation_id, device_id, user_id, delivered, read, updated_at)
       SELECT v.*, $6::bigint
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
         AS v(conversation_id, device_id, user_id, delivered, read)
       ON CONFLICT (conversation_id, device_id) DO UPDATE SET
         delivered = greatest(device_cursors.delivered, excluded.delivered),
         read = greatest(device_cursors.read, excluded.read),
         updated_at = excluded.updated_at
     )
     UPDATE members m SET delivered = x.delivered, read = x.read, updated_at = $6::bigint
     FROM unnest($7::text[], $8::text[], $9::bigint[], $10::bigint[])
       AS x(conversation_id, user_id, delivered, read)
     WHERE m.conversation_id = x.conversation_id AND m.user_id = x.user_id`,
    [
      d.map((x) => x.conversationId),
      d.map((x) => x.deviceId),
      d.map((x) => x.userId),
      d.map((x) => x.delivered),
      d.map((x) => x.read),
      now,
      m.map((x) => x.conversationId),
      m.map((x) => x.userId),
      m.map((x) => x.delivered),
      m.map((x) => x.read),
    ],
  );
}

interface MemberCursorRow {
  conversation_id: string;
  user_id: string;
  delivered: number;
  read: number;
}

interface DeviceCursor {
  conversationId: string;
  deviceId: string;
  userId: string;
  delivered: number;
  read: number;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
