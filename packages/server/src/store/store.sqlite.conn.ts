import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { StoreRejectedError } from "./store.ts";

/**
 * One SQLite connection with a prepared-statement cache. The worker holds the only writing
 * connection; the main thread holds a query-only one for reads (see store.sqlite.ts for why).
 */
export class Conn {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string, options: { readOnly: boolean }) {
    // timeout: how long a statement waits on a lock. The worker is the only writer, so a wait
    // only happens around WAL recovery or a checkpoint; a short bound keeps a stuck file from
    // freezing the thread.
    this.db = new DatabaseSync(path, { timeout: 2000 });
    // WAL: readers never block the writer and a commit appends to one file.
    // synchronous=FULL: the WAL is fsynced at every commit, so a resolved write survives power
    // loss (NORMAL would only survive a process crash, which is not enough to ack a message).
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = FULL");
    this.db.exec("PRAGMA foreign_keys = ON");
    // Appends land on the tail page of each active conversation (the dedupe index, keyed by
    // time-ordered cids since migration 6, is appended to), so a batch touches about one page
    // per conversation. Measured with 1,000 active conversations, 2,000-row commits
    // (bench/src/store.ts has the full run):
    // - the default 2 MB page cache spills those pages mid-transaction; 16 MB keeps them hot
    //   (10,000 conversations, 2,000-row commits: 9 us of writer CPU per append with 16 MB
    //   and with 64 MB);
    // - a bigger cache costs every commit that split a page: SQLite parks a page at the page
    //   number past the 1 GiB lock byte while it reorders siblings (balance_nonroot), and the
    //   commit then scans the cache's whole hash table for pages past the end of the file
    //   (pcache1TruncateUnsafe). With 64 MB that scan was 14% of the writer's time at 10,000
    //   sparse msgs/s on an 8,000-page database, and it grows with the cache: 16 MB caps it;
    // - checkpointing on this writer every 10,000 WAL pages instead of 1,000 wrote a hot page
    //   back to the database file once per several commits, not once per commit;
    // together: 13.5 KB -> 6.3 KB written per message and 37 -> 22 us of CPU per message.
    // 4 KB pages stay: 1-2 KB pages wrote ~20% less but cost more CPU (deeper trees).
    // Since the eleventh session the checkpoints run on the checkpointer's thread, a pass every
    // 50 ms (a hot page goes back once per ~50 ms of commits; bytes written per message were
    // not measured again), and it has this writer rewind the WAL at 12,000 frames
    // (store.sqlite.checkpointer.ts). The autocheckpoint is a backstop should that thread fall
    // behind. journal_size_limit: a WAL that grew past 64 MB is cut back at its next rewind;
    // 12,000 frames (~49 MB) stay under it, so the file is reused, not regrown.
    if (!options.readOnly) {
      this.db.exec("PRAGMA cache_size = -16384");
      this.db.exec("PRAGMA wal_autocheckpoint = 40000");
      this.db.exec("PRAGMA journal_size_limit = 67108864");
    }
    // Reads of the database file through the page cache of the OS, without a copy per page.
    this.db.exec("PRAGMA mmap_size = 268435456");
    if (options.readOnly) this.db.exec("PRAGMA query_only = ON");
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  q(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one read transaction (one snapshot) unless a transaction is already open. */
  snapshot<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.q("BEGIN").run();
    try {
      return fn();
    } finally {
      this.q("COMMIT").run();
    }
  }

  close(): void {
    this.#statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}

/** How a failed request is reported across the worker boundary. */
export type ErrorKind = "unavailable" | "conflict" | "invalid" | "rejected";

export interface WireError {
  kind: ErrorKind;
  message: string;
  /** For `rejected`: the StoreRejectedError code. */
  code?: StoreRejectedError["code"];
}

/** Thrown by store operations for input the contract does not cover (e.g. unknown conversation). */
export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
}

/** Thrown by group changes that break a rule; becomes StoreRejectedError on the main thread. */
export class RejectedError extends Error {
  override name = "RejectedError";
  readonly code: StoreRejectedError["code"];

  constructor(code: StoreRejectedError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** Thrown by createUser for a taken username; becomes StoreConflictError on the main thread. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

// SQLite primary result codes that mean "the backend is broken", not "this request is wrong".
const BACKEND_FAILURES = new Set([
  5, // BUSY
  6, // LOCKED
  7, // NOMEM
  8, // READONLY
  10, // IOERR
  11, // CORRUPT
  13, // FULL
  14, // CANTOPEN
  15, // PROTOCOL
  26, // NOTADB
]);

/** Sorts an error thrown by an operation into the three kinds the store distinguishes. */
export function classify(err: unknown): WireError {
  if (err instanceof RejectedError)
    return { kind: "rejected", code: err.code, message: err.message };
  if (err instanceof ConflictError) return { kind: "conflict", message: err.message };
  if (err instanceof InvalidRequestError) return { kind: "invalid", message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  const { code, errcode } = (err ?? {}) as { code?: unknown; errcode?: unknown };
  // node:sqlite reports a closed database or finalized statement as ERR_INVALID_STATE.
  if (code === "ERR_INVALID_STATE") return { kind: "unavailable", message };
  if (typeof errcode === "number" && BACKEND_FAILURES.has(errcode & 0xff)) {
    return { kind: "unavailable", message };
  }
  // Constraint failures (e.g. an unknown user id) and plain bugs: this request was wrong.
  return { kind: "invalid", message };
}
