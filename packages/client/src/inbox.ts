/**
 * Ordering, gap and duplicate logic for incoming sequence numbers, per conversation. Pure and
 * synchronous: it decides, the caller stores and emits. Items are released strictly in seq order
 * with no seq released twice; `accepted(conv)` is the highest contiguous seq released.
 *
 * A seq above the next expected one is held, and the gap triggers one `pull` (after the last
 * contiguous seq). `pulled {upTo}` means the server sent everything it has up to `upTo`, so seqs
 * still missing at or below it no longer exist (relay-mode pruning) and are skipped.
 *
 * Seqs of this device's own messages never arrive as `msg`; the caller offers them from `sent`.
 * Large groups announce new seqs with `notify` instead of sending them; `notify` pulls them.
 */
export class Inbox<T> {
  readonly #logs = new Map<string, ConversationLog<T>>();
  readonly #requestPull: (conv: string, after: number) => void;

  /** `requestPull` must send `pull {conv, after}`; the inbox calls it at most once per gap. */
  constructor(requestPull: (conv: string, after: number) => void) {
    this.#requestPull = requestPull;
  }

  /** Sets where a conversation starts (its stored cursor), before any offer for it. */
  start(conv: string, accepted: number): void {
    const log = this.#log(conv);
    if (accepted > log.accepted) log.accepted = accepted;
  }

  /** Highest seq up to which every item of `conv` was released (0 if none). */
  accepted(conv: string): number {
    return this.#logs.get(conv)?.accepted ?? 0;
  }

  /** Number of items held back behind a gap, over all conversations (for tests and metrics). */
  get heldCount(): number {
    let n = 0;
    for (const log of this.#logs.values()) n += log.held?.size ?? 0;
    return n;
  }

  /**
   * Offers the item with this seq. Returns the items now released, in order: empty for a
   * duplicate or a held item; the item and any held ones it unblocked otherwise.
   */
  offer(conv: string, seq: number, item: T): readonly T[] {
    const log = this.#log(conv);
    if (seq <= log.accepted) return none;
    if (seq === log.accepted + 1) {
      log.accepted = seq;
      if (log.held === undefined || log.held.size === 0) return [item];
      const released = [item];
      this.#drain(log, released);
      return released;
    }
    log.held ??= new Map();
    if (!log.held.has(seq)) log.held.set(seq, item);
    if (log.pullAfter === undefined) this.#pull(conv, log);
    return none;
  }

  /** Handles `pulled`: skips what can no longer arrive, pulls on if needed, returns released items. */
  pulled(conv: string, upTo: number, more: boolean): T[] {
    const log = this.#log(conv);
    const after = log.pullAfter;
    log.pullAfter = undefined;
    const released: T[] = [];
    if (upTo > log.accepted) {
      if (log.held !== undefined && log.held.size > 0) {
        const below = [...log.held.keys()].filter((s) => s <= upTo).sort((a, b) => a - b);
        for (const s of below) {
          released.push(log.held.get(s) as T);
          log.held.delete(s);
        }
      }
      log.accepted = upTo;
    }
    this.#drain(log, released);
    if (more) {
      this.#pull(conv, log);
    } else if (waiting(log)) {
      if (after === undefined || log.accepted > after) {
        this.#pull(conv, log);
      } else {
        // The pull made no progress although newer items exist: the gap cannot be filled.
        if (log.held !== undefined && log.held.size > 0) {
          log.accepted = Math.min(...log.held.keys()) - 1;
          this.#drain(log, released);
        }
        log.known = log.accepted;
      }
    }
    return released;
  }

  /**
   * Handles `notify` (large groups: items up to `seq` exist, fetch them). Pulls unless a pull is
   * already in flight; the answer to that one pulls again if `seq` is still ahead.
   */
  notify(conv: string, seq: number): void {
    const log = this.#log(conv);
    if (seq <= log.accepted) return;
    if (seq > log.known) log.known = seq;
    if (log.pullAfter === undefined) this.#pull(conv, log);
  }

  /** After a reconnect: outstanding pulls died with the socket; ask again where items wait. */
  repull(): void {
    for (const [conv, log] of this.#logs) {
      log.pullAfter = undefined;
      if (waiting(log)) this.#pull(conv, log);
    }
  }

  /** Forgets held items and rewinds to `accepted` (after a failed write: the server resends). */
  rewind(conv: string, accepted: number): void {
    const log = this.#log(conv);
    log.accepted = accepted;
    log.held = undefined;
    log.pullAfter = undefined;
  }

  #drain(log: ConversationLog<T>, into: T[]): void {
    const held = log.held;
    if (held === undefined) return;
    for (
      let next = held.get(log.accepted + 1);
      next !== undefined;
      next = held.get(log.accepted + 1)
    ) {
      held.delete(log.accepted + 1);
      log.accepted++;
      into.push(next);
    }
    // Drop held items the cursor passed (they were released or skipped).
    if (held.size > 0) for (const s of held.keys()) if (s <= log.accepted) held.delete(s);
  }

  #pull(conv: string, log: ConversationLog<T>): void {
    log.pullAfter = log.accepted;
    this.#requestPull(conv, log.accepted);
  }

  #log(conv: string): ConversationLog<T> {
    let log = this.#logs.get(conv);
    if (log === undefined) {
      log = { accepted: 0, known: 0, held: undefined, pullAfter: undefined };
      this.#logs.set(conv, log);
    }
    return log;
  }
}

interface ConversationLog<T> {
  accepted: number;
  /** Highest seq a `notify` announced. */
  known: number;
  /** Items above a gap, by seq; allocated only when a gap is first seen. */
  held: Map<number, T> | undefined;
  /** The `after` of the pull in flight, if any. */
  pullAfter: number | undefined;
}

const none: never[] = [];

/** Whether items are known to exist above the contiguous seq. */
function waiting(log: ConversationLog<unknown>): boolean {
  return (log.held !== undefined && log.held.size > 0) || log.known > log.accepted;
}
