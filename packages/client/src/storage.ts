import type { ConversationSummary } from "@courier/protocol";
import type { LocalMessage, Session } from "./types.ts";

/**
 * The storage seam of the SDK: everything a device keeps across restarts. `storage.memory.ts` is
 * the in-memory implementation (tests, load generator); the web app adds IndexedDB and the native
 * app SQLite behind this same interface. Every implementation must pass
 * `test/storage.contract.ts` (`runStorageContract`).
 *
 * Contract, for every implementation:
 * - `write` is atomic: all of its parts apply, or none does and the promise rejects. Writes take
 *   effect in the order `write` was called; a read started after a write resolved sees it.
 * - The SDK acks to the server only what a resolved `write` holds, so a `write` resolves only
 *   once its data would survive the app being killed (as durable as the platform allows).
 * - Messages are keyed by (conv, seq): writing the same key again replaces the row (upsert).
 *   Outbox entries are keyed by cid; an upsert keeps the entry's original position.
 * - Values read back are equal (structurally) to what was written; the SDK never mutates a value
 *   after handing it to `write`, so implementations may keep references.
 */
export interface ClientStorage {
  /** The logged-in device, or undefined if none. */
  loadSession(): Promise<Session | undefined>;
  /** Replaces the stored session; `undefined` removes it. */
  saveSession(session: Session | undefined): Promise<void>;

  /** Applies a batch of changes atomically; see the contract above. */
  write(batch: StorageBatch): Promise<void>;

  /** Every outbox entry (pending and failed own messages without a seq), in first-put order. */
  loadOutbox(): Promise<LocalMessage[]>;

  /**
   * A page of stored messages of one conversation, ascending by seq. With `afterSeq`: the oldest
   * `limit` messages with seq > afterSeq. Otherwise: the newest `limit` messages with
   * seq < `beforeSeq` (no upper bound when beforeSeq is undefined).
   */
  listMessages(conv: string, query: MessageQuery): Promise<LocalMessage[]>;

  /** Every conversation's cursors, in no particular order. */
  loadCursors(): Promise<ConversationCursors[]>;

  /** The conversation list cache (what `GET /api/conversations` last returned). */
  loadConversations(): Promise<ConversationSummary[]>;
  saveConversations(list: ConversationSummary[]): Promise<void>;

  /** Removes everything: session, outbox, messages, cursors, conversations (logout). */
  clear(): Promise<void>;
}

/** One atomic change set; every part is optional. */
export interface StorageBatch {
  /** Upserts outbox entries by cid (status `pending` or `failed`, no seq). */
  outbox?: LocalMessage[];
  /** Removes outbox entries by cid (missing cids are ignored). Applied before `outbox`. */
  outboxDelete?: string[];
  /** Upserts messages by (conv, seq); every message here has a seq. */
  messages?: LocalMessage[];
  /** Upserts cursors by conv. */
  cursors?: ConversationCursors[];
}

export interface MessageQuery {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
}

/** What this device knows about how far one conversation has come. All seqs only grow. */
export interface ConversationCursors {
  conv: string;
  /** Highest seq up to which every message is stored on this device (contiguous). */
  stored: number;
  /** Highest seq the user has read on this device (or another device of theirs). */
  read: number;
  /** The other members' delivered cursor: my messages up to it have two ticks. */
  peerDelivered: number;
  /** The other members' read cursor: my messages up to it are blue. */
  peerRead: number;
}
