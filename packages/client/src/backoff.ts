/**
 * Reconnect delays: exponential backoff with "full jitter" (a uniformly random delay between 0
 * and the exponential cap). The jitter spreads thousands of clients reconnecting after a server
 * restart over the whole window instead of stampeding at the same instants.
 */
export interface BackoffOptions {
  /** Cap of the first attempt's window, in ms. Default 500. */
  minMs?: number;
  /** Largest window, in ms. Default 30,000. */
  maxMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.minMs = options.minMs ?? 500;
    this.maxMs = Math.max(options.maxMs ?? 30_000, this.minMs);
    this.#random = options.random ?? Math.random;
  }

  /** Failed attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call counts one more failed attempt. */
  next(): number {
    // 2 ** 30 already exceeds any sane maxMs; clamping the exponent keeps the product finite.
    const window = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.floor(this.#random() * window);
  }

  /** Called once a connection reached `online`: the next failure starts from the smallest window. */
  reset(): void {
    this.#attempt = 0;
  }
}
