import type { Content } from "@courier/protocol";
import type { PushSubscriptionRecord } from "./push-store.ts";

/** The notification building up for one (device, conversation). */
export interface PendingNotification {
  subscription: PushSubscriptionRecord;
  conversationId: string;
  /** Messages it stands for. */
  count: number;
  /** The newest of them: its sender and content make the preview. */
  seq: number;
  senderId: string;
  content: Content;
}

/**
 * Folds a burst into one notification: the first message for a (device, conversation) opens a
 * window of `windowMs`; messages arriving before it closes only raise the count and replace the
 * preview; when it closes, `onFlush` gets one notification saying how many. The window is fixed
 * from its first message (not pushed back by each new one), so a steady stream still notifies
 * every `windowMs`. At most `maxPending` windows are open; `add` returns false beyond that.
 */
export class Coalescer {
  readonly #windowMs: number;
  readonly #maxPending: number;
  readonly #onFlush: (pending: PendingNotification) => void;
  readonly #open = new Map<string, { pending: PendingNotification; timer: NodeJS.Timeout }>();

  constructor(
    windowMs: number,
    maxPending: number,
    onFlush: (pending: PendingNotification) => void,
  ) {
    this.#windowMs = windowMs;
    this.#maxPending = maxPending;
    this.#onFlush = onFlush;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Returns "merged" when it joined an open window, "opened", or "full" when it was refused. */
  add(next: PendingNotification): "opened" | "merged" | "full" {
    const key = `${next.subscription.deviceId}\u0000${next.conversationId}`;
    const open = this.#open.get(key);
    if (open) {
      const p = open.pending;
      p.count += next.count;
      if (next.seq >= p.seq)
        Object.assign(p, { seq: next.seq, senderId: next.senderId, content: next.content });
      return "merged";
    }
    if (this.#open.size >= this.#maxPending) return "full";
    const timer = setTimeout(() => {
      this.#open.delete(key);
      this.#onFlush(next);
    }, this.#windowMs);
    this.#open.set(key, { pending: next, timer });
    return "opened";
  }

  /** Drops every open window without flushing (shutdown). */
  clear(): void {
    for (const { timer } of this.#open.values()) clearTimeout(timer);
    this.#open.clear();
  }
}
