import type { Conn } from "./store.sqlite.conn.ts";

/** Past this many cached conversations the cache is dropped and refilled from the table. */
const MAX_CACHED_CONVERSATIONS = 100_000;

/**
 * What write operations see in the worker: the connection, the batch's clock, and the per-
 * conversation `last_seq` cache that makes appendMessage one INSERT.
 *
 * Appends do not update `conversations` row by row: the cache holds the newest seq, and the
 * summary row is written once per touched conversation per batch (`flush`), before any other
 * operation reads it and before COMMIT. Only this worker writes `conversations.last_seq`, so the
 * cache is authoritative while the transaction holds; after a rollback it is dropped (`forget`).
 */
export class WriteCtx {
  readonly conn: Conn;
  /** The batch's clock: every row written by one batch carries the same time. */
  now = 0;
  readonly #lastSeq = new Map<string, number>();
  readonly #dirty = new Map<string, { seq: number; ts: number }>();
  readonly #cursorsMoved = new Set<string>();

  constructor(conn: Conn) {
    this.conn = conn;
  }

  /** The conversation's newest seq, or undefined if there is no such conversation. */
  lastSeq(conversationId: string): number | undefined {
    const cached = this.#lastSeq.get(conversationId);
    if (cached !== undefined) return cached;
    const row = this.conn
      .q("SELECT last_seq FROM conversations WHERE id = ?")
      .get(conversationId) as { last_seq: number } | undefined;
    if (row === undefined) return undefined;
    this.#lastSeq.set(conversationId, row.last_seq);
    return row.last_seq;
  }

  /** Records that `seq` was appended; the summary row follows at the next flush. */
  appended(conversationId: string, seq: number, ts: number): void {
    this.#lastSeq.set(conversationId, seq);
    this.#dirty.set(conversationId, { seq, ts });
  }

  get dirty(): boolean {
    return this.#dirty.size > 0;
  }

  /** Writes the summary rows of the conversations appended to since the last flush. */
  flush(): void {
    const update = this.conn.q("UPDATE conversations SET last_seq = ?, last_ts = ? WHERE id = ?");
    for (const [id, { seq, ts }] of this.#dirty) update.run(seq, ts, id);
    this.#dirty.clear();
  }

  /**
   * Records that member cursors of these groups advanced; their `conversations.cursors_at` is
   * set at the next `flushCursors`, so once per group per batch however many moves it holds.
   */
  cursorsMoved(conversationIds: Iterable<string>): void {
    for (const id of conversationIds) this.#cursorsMoved.add(id);
  }

  /**
   * Stamps the groups of `cursorsMoved` with the batch's time. Only receiptsSince reads the
   * column, so this runs before it (when reads share this connection) and before COMMIT. Never
   * moves the stamp back (a clock step backwards).
   */
  flushCursors(): void {
    if (this.#cursorsMoved.size === 0) return;
    const update = this.conn.q(
      "UPDATE conversations SET cursors_at = ?1 WHERE id = ?2 AND cursors_at < ?1",
    );
    for (const id of this.#cursorsMoved) update.run(this.now, id);
    this.#cursorsMoved.clear();
  }

  #sentCids: boolean | undefined;

  /**
   * Whether `sent_cids` may hold rows. It only fills when relay mode prunes, so in history mode
   * the dedupe check skips it: one index probe less on every append.
   */
  get sentCidsInUse(): boolean {
    this.#sentCids ??= this.conn.q("SELECT 1 FROM sent_cids LIMIT 1").get() !== undefined;
    return this.#sentCids;
  }

  /** Called by pruneDelivered after it copied keys into `sent_cids`. */
  usedSentCids(): void {
    this.#sentCids = true;
  }

  /** Starts a batch: stamps its clock and keeps the cache bounded. */
  begin(now: number): void {
    this.now = now;
    if (this.#lastSeq.size > MAX_CACHED_CONVERSATIONS) this.#lastSeq.clear();
  }

  /** Drops everything cached; called after a rollback, when the cache may be ahead of the table. */
  forget(): void {
    this.#lastSeq.clear();
    this.#dirty.clear();
    this.#cursorsMoved.clear();
  }
}
