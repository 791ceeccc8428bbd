/**
 * Send times of messages awaiting an answer, first in first out, by key: a client id until `sent`
 * gives the message a seq, then a seq until a receipt covers it. A ring of keys beside a
 * Float64Array of times, grown by doubling and otherwise reused.
 *
 * The raw driver kept these in Maps. A Map that takes and drops entries all the time keeps
 * replacing its hash table, and each new table, held by a map that is itself old, outlives the
 * next scavenge and is promoted: together with the ack maps' `clear()`, that was most of what
 * the generator still promoted at 10,000 msgs/s, and what made its full GCs (docs/performance.md,
 * eleventh session). Answers come in the order of the sends, so the key sought is nearly always
 * at the head.
 */
export class SendTimes<K extends string | number> {
  #keys: Array<K | undefined> = new Array(16);
  #times = new Float64Array(16);
  #head = 0;
  /** Slots in use from `#head`, taken ones included until the head passes them. */
  #used = 0;

  /** Queues `key` (not present yet) with its send time, behind every key queued before. */
  push(key: K, time: number): void {
    if (this.#used === this.#keys.length) this.#grow();
    const at = (this.#head + this.#used) & (this.#keys.length - 1);
    this.#keys[at] = key;
    this.#times[at] = time;
    this.#used++;
  }

  /** Removes `key` and returns its send time, or undefined if it is not queued. */
  take(key: K): number | undefined {
    const mask = this.#keys.length - 1;
    for (let i = 0; i < this.#used; i++) {
      const at = (this.#head + i) & mask;
      if (this.#keys[at] !== key) continue;
      this.#keys[at] = undefined;
      this.#trim();
      return this.#times[at] as number;
    }
    return undefined;
  }

  /** Removes keys from the head while `covers(key)` holds, handing each send time to `each`. */
  shiftWhile(covers: (key: K) => boolean, each: (time: number) => void): void {
    const mask = this.#keys.length - 1;
    while (this.#used > 0) {
      const at = this.#head;
      const key = this.#keys[at];
      if (key !== undefined && !covers(key)) return;
      this.#keys[at] = undefined;
      this.#head = (at + 1) & mask;
      this.#used--;
      if (key === undefined) continue;
      each(this.#times[at] as number);
    }
  }

  /** Moves the head past slots whose key was taken. */
  #trim(): void {
    const mask = this.#keys.length - 1;
    while (this.#used > 0 && this.#keys[this.#head] === undefined) {
      this.#head = (this.#head + 1) & mask;
      this.#used--;
    }
  }

  #grow(): void {
    const capacity = this.#keys.length;
    const keys: Array<K | undefined> = new Array(capacity * 2);
    const times = new Float64Array(capacity * 2);
    for (let i = 0; i < this.#used; i++) {
      const at = (this.#head + i) & (capacity - 1);
      keys[i] = this.#keys[at];
      times[i] = this.#times[at] as number;
    }
    this.#keys = keys;
    this.#times = times;
    this.#head = 0;
  }
}
