/** Conversations remembered at most; the oldest is forgotten first. */
const capacity = 200_000;

/**
 * The highest seq this node has stored or routed, per conversation. It bounds what an ack can
 * claim before the store has checked it: a device cannot have stored a message this node has
 * never seen, so an optimistic receipt never runs ahead of the log.
 */
export class SeqWatermarks {
  readonly #highest = new Map<string, number>();

  note(conversationId: string, seq: number): void {
    const current = this.#highest.get(conversationId);
    if (current !== undefined && current >= seq) return;
    if (current === undefined && this.#highest.size >= capacity) {
      const oldest = this.#highest.keys().next();
      if (!oldest.done) this.#highest.delete(oldest.value);
    }
    this.#highest.set(conversationId, seq);
  }

  /** 0 when this node has seen nothing of the conversation. */
  highest(conversationId: string): number {
    return this.#highest.get(conversationId) ?? 0;
  }
}
