import type { ClientContent, SendFrame } from "@courier/protocol";
import type { RetryPolicy } from "./retry.ts";
import type { StorageBatch } from "./storage.ts";
import type { LocalMessage } from "./types.ts";

export interface OutboxOptions {
  /** Persists outbox changes (the storage adapter's `write`). */
  write: (batch: StorageBatch) => Promise<void>;
  /** Queues a frame for the socket. Only called while `canSend()` is true. */
  transmit: (frame: SendFrame) => void;
  /** Whether the connection can carry sends now (`ready` arrived). */
  canSend: () => boolean;
  /** A message's snapshot changed (pending → failed, failed → pending). */
  onChange: (message: LocalMessage) => void;
  /** A storage write failed; the messages it carried stay unsent until the next `add`/retry. */
  onStorageError: (error: unknown) => void;
  retry: RetryPolicy;
  /** Most sends in flight (sent but not answered) per conversation. */
  window: number;
}

/**
 * My messages on their way to the server: the state machine
 * `pending → sent` (or `pending → failed` on a permanent error or exhausted retries; `failed →
 * pending` only through `resend`). Later steps (delivered, read) belong to `ReceiptTracker`.
 *
 * Guarantees:
 * - An entry is persisted (storage `write` resolved) before its first transmission, so it
 *   survives a restart; entries added in one tick are persisted in one write.
 * - Per conversation, entries are transmitted in the order they were added, at most `window`
 *   unanswered at a time. After a retryable error the conversation pauses for the policy's delay
 *   and resumes from the failed entry; entries already in flight behind it may land first (the
 *   price of pipelining; with `window: 1` the order is strict).
 * - After every reconnect (`connectionLost` then `pump`) every unanswered entry is sent again
 *   with the same cid; the server deduplicates, so a resend never makes a second message.
 */
export class Outbox {
  readonly #o: OutboxOptions;
  readonly #byCid = new Map<string, Entry>();
  readonly #queues = new Map<string, ConvQueue>();
  #unpersisted: Entry[] = [];

  constructor(options: OutboxOptions) {
    this.#o = options;
  }

  /** Number of entries not yet answered by the server (pending), over all conversations. */
  get pendingCount(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.live;
    return n;
  }

  /** Restores entries read from storage at startup (pending ones are queued again). */
  restore(messages: LocalMessage[]): void {
    for (const message of messages) {
      if (this.#byCid.has(message.cid)) continue;
      const entry = newEntry(message);
      entry.persisted = true;
      this.#byCid.set(message.cid, entry);
      if (message.status === "pending") this.#enqueue(entry);
    }
  }

  /** Adds a new pending message. Resolves once it is persisted (it is sent right after). */
  add(message: LocalMessage): Promise<LocalMessage> {
    const entry = newEntry(message);
    this.#byCid.set(message.cid, entry);
    this.#enqueue(entry);
    return new Promise((resolve, reject) => {
      entry.persistWaiters = { resolve: () => resolve(entry.message), reject };
      this.#persistSoon(entry);
    });
  }

  /** The outbox entry for `cid`, if any (pending or failed). */
  get(cid: string): LocalMessage | undefined {
    return this.#byCid.get(cid)?.message;
  }

  /** Pending and failed messages, in send order per conversation (all conversations if omitted). */
  list(conv?: string): LocalMessage[] {
    const out: LocalMessage[] = [];
    for (const entry of this.#byCid.values()) {
      if (conv === undefined || entry.message.conv === conv) out.push(entry.message);
    }
    return out;
  }

  /**
   * The server stored the message (`sent`, or my own `msg` seen through sync). Removes the entry
   * and returns its last snapshot; undefined if the cid is not (or no longer) in the outbox.
   * The caller persists the stored message and deletes the outbox row in one write.
   */
  take(cid: string): LocalMessage | undefined {
    const entry = this.#byCid.get(cid);
    if (entry === undefined) return undefined;
    this.#byCid.delete(cid);
    this.#finish(entry);
    return entry.message;
  }

  /** An `error` frame named this cid. Returns false if the cid is unknown. */
  refused(cid: string, code: string): boolean {
    const entry = this.#byCid.get(cid);
    if (entry === undefined || entry.message.status !== "pending") return false;
    const q = this.#queues.get(entry.message.conv);
    if (entry.inFlight && q !== undefined) {
      entry.inFlight = false;
      q.inFlight--;
    }
    entry.attempts++;
    const delay = this.#o.retry.retryAfter(code, entry.attempts);
    if (delay === undefined) {
      this.#finish(entry);
      this.#update(entry, { ...entry.message, status: "failed", error: code });
      this.#pump(entry.message.conv);
      return true;
    }
    if (q !== undefined) {
      if (entry.pos < q.next) q.next = entry.pos;
      this.#pause(q, delay);
    }
    return true;
  }

  /** Puts a failed message back in its conversation's queue (at the end) with a fresh budget. */
  resend(cid: string): LocalMessage | undefined {
    const entry = this.#byCid.get(cid);
    if (entry === undefined || entry.message.status !== "failed") return undefined;
    const { error: _dropped, ...rest } = entry.message;
    const fresh = newEntry({ ...rest, status: "pending" });
    fresh.persisted = true;
    this.#byCid.set(cid, fresh);
    this.#enqueue(fresh);
    this.#update(fresh, fresh.message);
    return fresh.message;
  }

  /** Removes a failed message for good. Returns false if `cid` is not a failed message. */
  discard(cid: string): boolean {
    const entry = this.#byCid.get(cid);
    if (entry === undefined || entry.message.status !== "failed") return false;
    this.#byCid.delete(cid);
    this.#o.write({ outboxDelete: [cid] }).catch(this.#o.onStorageError);
    return true;
  }

  /** The socket is gone: nothing is in flight any more; everything unanswered goes again. */
  connectionLost(): void {
    for (const q of this.#queues.values()) {
      q.inFlight = 0;
      q.next = q.head;
      for (let i = q.head - q.base; i < q.entries.length; i++) {
        const entry = q.entries[i];
        if (entry !== undefined) entry.inFlight = false;
      }
    }
  }

  /** Transmits what may go now, in every conversation (after `ready`). */
  pumpAll(): void {
    for (const conv of this.#queues.keys()) this.#pump(conv);
  }

  #pump(conv: string): void {
    const q = this.#queues.get(conv);
    if (q === undefined || q.pausedUntil !== undefined || !this.#o.canSend()) return;
    const end = q.base + q.entries.length;
    while (q.next < end && q.inFlight < this.#o.window) {
      const entry = q.entries[q.next - q.base] as Entry;
      if (entry.done || entry.inFlight) {
        q.next++;
        continue;
      }
      if (!entry.persisted) break;
      entry.inFlight = true;
      q.inFlight++;
      q.next++;
      entry.frame ??= toFrame(entry.message);
      this.#o.transmit(entry.frame);
    }
    if (q.live === 0) this.#queues.delete(conv);
  }

  #enqueue(entry: Entry): void {
    const conv = entry.message.conv;
    let q = this.#queues.get(conv);
    if (q === undefined) {
      q = {
        conv,
        entries: [],
        base: 0,
        head: 0,
        next: 0,
        inFlight: 0,
        live: 0,
        pausedUntil: undefined,
      };
      this.#queues.set(conv, q);
    }
    entry.pos = q.base + q.entries.length;
    q.entries.push(entry);
    q.live++;
    if (entry.persisted) this.#pump(conv);
  }

  /** Takes an entry out of its queue (answered or failed). */
  #finish(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    const conv = entry.message.conv;
    const q = this.#queues.get(conv);
    if (q === undefined) return;
    q.live--;
    if (entry.inFlight) {
      entry.inFlight = false;
      q.inFlight--;
    }
    while (q.head < q.base + q.entries.length && (q.entries[q.head - q.base] as Entry).done) {
      q.head++;
    }
    if (q.next < q.head) q.next = q.head;
    // Drop the answered prefix once it dominates, keeping positions absolute through `base`.
    const dead = q.head - q.base;
    if (dead > 64 && dead * 2 > q.entries.length) {
      q.entries = q.entries.slice(dead);
      q.base = q.head;
    }
    this.#pump(conv);
  }

  #pause(q: ConvQueue, delay: number): void {
    if (q.pausedUntil !== undefined) return;
    q.pausedUntil = setTimeout(() => {
      q.pausedUntil = undefined;
      this.#pump(q.conv);
    }, delay);
  }

  #persistSoon(entry: Entry): void {
    this.#unpersisted.push(entry);
    if (this.#unpersisted.length > 1) return;
    queueMicrotask(() => {
      const batch = this.#unpersisted;
      this.#unpersisted = [];
      this.#o.write({ outbox: batch.map((e) => e.message) }).then(
        () => {
          const convs = new Set<string>();
          for (const e of batch) {
            e.persisted = true;
            convs.add(e.message.conv);
            e.persistWaiters?.resolve();
            e.persistWaiters = undefined;
          }
          for (const conv of convs) this.#pump(conv);
        },
        (error: unknown) => {
          // Not persisted means not sent: the entries leave the outbox, and `add` rejects.
          for (const e of batch) {
            this.#byCid.delete(e.message.cid);
            this.#finish(e);
            e.persistWaiters?.reject(error);
            e.persistWaiters = undefined;
          }
          this.#o.onStorageError(error);
        },
      );
    });
  }

  #update(entry: Entry, message: LocalMessage): void {
    entry.message = message;
    this.#o.write({ outbox: [message] }).catch(this.#o.onStorageError);
    this.#o.onChange(message);
  }
}

interface Entry {
  message: LocalMessage;
  /** The send frame, built once and reused for every resend. */
  frame: SendFrame | undefined;
  persisted: boolean;
  inFlight: boolean;
  done: boolean;
  attempts: number;
  /** Absolute position in its conversation queue. */
  pos: number;
  persistWaiters: { resolve: () => void; reject: (error: unknown) => void } | undefined;
}

/**
 * One conversation's entries in send order. Positions are absolute (`base` is the position of
 * `entries[0]`), so compaction does not invalidate them. Before `head` all are done; between
 * `head` and `next` all are done or in flight; from `next` on, candidates to transmit.
 */
interface ConvQueue {
  conv: string;
  entries: Entry[];
  base: number;
  head: number;
  next: number;
  inFlight: number;
  /** Entries not done. */
  live: number;
  pausedUntil: ReturnType<typeof setTimeout> | undefined;
}

function newEntry(message: LocalMessage): Entry {
  return {
    message,
    frame: undefined,
    persisted: false,
    inFlight: false,
    done: false,
    attempts: 0,
    pos: 0,
    persistWaiters: undefined,
  };
}

function toFrame(m: LocalMessage): SendFrame {
  // The outbox only ever holds this device's own sends, which `send` checked as client content.
  const content = m.content as ClientContent;
  return m.to !== undefined
    ? { t: "send", cid: m.cid, to: m.to, content }
    : { t: "send", cid: m.cid, conv: m.conv, content };
}
