import type { FrameBatcher } from "./batcher.ts";

/**
 * The small outgoing signals that need no outbox: read cursors (coalesced: one `read` per
 * conversation per tick, carrying the highest seq, repeated after a reconnect so that a frame
 * lost with a dying socket still lands) and typing (throttled: `on` at most once per window per
 * conversation, `off` only after an `on`).
 */
export class Signals {
  readonly #batcher: FrameBatcher;
  readonly #throttleMs: number;
  /** Read cursors sent since the last reconnect (resent after the next one). */
  readonly #reads = new Map<string, number>();
  /** When `typing: true` was last sent per conversation; absent when off. */
  readonly #typingSince = new Map<string, number>();

  constructor(batcher: FrameBatcher, typingThrottleMs: number) {
    this.#batcher = batcher;
    this.#throttleMs = typingThrottleMs;
  }

  read(conv: string, seq: number): void {
    if (seq <= (this.#reads.get(conv) ?? 0)) return;
    this.#reads.set(conv, seq);
    this.#batcher.pushKeyed(`read:${conv}`, { t: "read", conv, seq });
  }

  typing(conv: string, on: boolean): void {
    const since = this.#typingSince.get(conv);
    if (on) {
      const now = Date.now();
      if (since !== undefined && now - since < this.#throttleMs) return;
      this.#typingSince.set(conv, now);
    } else {
      if (since === undefined) return;
      this.#typingSince.delete(conv);
    }
    this.#batcher.pushKeyed(`typing:${conv}`, { t: "typing", conv, on });
  }

  /** After `ready`: read cursors go again (idempotent on the server); typing state is reset. */
  reconnected(): void {
    for (const [conv, seq] of this.#reads) {
      this.#batcher.pushKeyed(`read:${conv}`, { t: "read", conv, seq });
    }
    this.#reads.clear();
    this.#typingSince.clear();
  }
}
