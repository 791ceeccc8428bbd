import type { ConversationSummary } from "@courier/protocol";
import type { ClientStorage, ConversationCursors, MessageQuery, StorageBatch } from "./storage.ts";
import type { LocalMessage, Session } from "./types.ts";

export interface MemoryStorageOptions {
  /**
   * Keep at most this many messages per conversation (the oldest go first). Unlimited by
   * default; the load generator sets it so that long runs keep a flat memory profile.
   */
  maxMessagesPerConversation?: number;
}

/**
 * `ClientStorage` in memory: tests, the load generator, and hosts that keep nothing across
 * restarts. Messages of a conversation are an array sorted by seq (appends are the common case;
 * an out-of-order seq is placed by binary search), so writes and pages cost O(log n + k).
 */
export class MemoryStorage implements ClientStorage {
  #session: Session | undefined;
  /** Map iteration order is insertion order, which is the outbox's "first put" order. */
  #outbox = new Map<string, LocalMessage>();
  #messages = new Map<string, LocalMessage[]>();
  #cursors = new Map<string, ConversationCursors>();
  #conversations: ConversationSummary[] = [];
  readonly #max: number;

  constructor(options: MemoryStorageOptions = {}) {
    this.#max = options.maxMessagesPerConversation ?? Number.POSITIVE_INFINITY;
  }

  async loadSession(): Promise<Session | undefined> {
    return this.#session;
  }

  async saveSession(session: Session | undefined): Promise<void> {
    this.#session = session;
  }

  async write(batch: StorageBatch): Promise<void> {
    // Validate first so that a bad batch changes nothing (the atomicity promise).
    if (batch.messages !== undefined) {
      for (const m of batch.messages) {
        if (m.seq === undefined) throw new TypeError(`message ${m.cid} has no seq`);
      }
    }
    if (batch.outboxDelete !== undefined) {
      for (const cid of batch.outboxDelete) this.#outbox.delete(cid);
    }
    if (batch.outbox !== undefined) for (const m of batch.outbox) this.#outbox.set(m.cid, m);
    if (batch.messages !== undefined) for (const m of batch.messages) this.#putMessage(m);
    if (batch.cursors !== undefined) for (const c of batch.cursors) this.#cursors.set(c.conv, c);
  }

  async loadOutbox(): Promise<LocalMessage[]> {
    return [...this.#outbox.values()];
  }

  async listMessages(conv: string, query: MessageQuery): Promise<LocalMessage[]> {
    const list = this.#messages.get(conv);
    if (list === undefined || query.limit <= 0) return [];
    if (query.afterSeq !== undefined) {
      const from = upperBound(list, query.afterSeq);
      return list.slice(from, from + query.limit);
    }
    const end = query.beforeSeq === undefined ? list.length : lowerBound(list, query.beforeSeq);
    return list.slice(Math.max(0, end - query.limit), end);
  }

  async loadCursors(): Promise<ConversationCursors[]> {
    return [...this.#cursors.values()];
  }

  async loadConversations(): Promise<ConversationSummary[]> {
    return [...this.#conversations];
  }

  async saveConversations(list: ConversationSummary[]): Promise<void> {
    this.#conversations = list;
  }

  async clear(): Promise<void> {
    this.#session = undefined;
    this.#outbox = new Map();
    this.#messages = new Map();
    this.#cursors = new Map();
    this.#conversations = [];
  }

  #putMessage(m: LocalMessage): void {
    const seq = m.seq as number;
    let list = this.#messages.get(m.conv);
    if (list === undefined) {
      list = [];
      this.#messages.set(m.conv, list);
    }
    const last = list[list.length - 1];
    if (last === undefined || (last.seq as number) < seq) {
      list.push(m);
    } else {
      const i = lowerBound(list, seq);
      if (list[i]?.seq === seq) list[i] = m;
      else list.splice(i, 0, m);
    }
    // Trim in chunks so that the amortised cost per message stays O(1).
    if (list.length > this.#max * 1.25 + 16) {
      this.#messages.set(m.conv, list.slice(list.length - this.#max));
    }
  }
}

/** First index whose seq is >= seq. */
function lowerBound(list: LocalMessage[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid]?.seq as number) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose seq is > seq. */
function upperBound(list: LocalMessage[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid]?.seq as number) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
