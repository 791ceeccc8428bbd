/**
 * A flag shared by the checkpointer and the writer thread (a SharedArrayBuffer, so it crosses
 * threads without a message and without waiting): the checkpointer raises it when a pass has
 * copied the whole WAL and the WAL is long enough to be worth rewinding; the writer takes it
 * between batches and rewinds the WAL (see store.sqlite.checkpointer.ts for why the writer).
 */
export class WalSignal {
  readonly buffer: SharedArrayBuffer;
  readonly #cell: Int32Array;

  /** A new flag, or the view of one whose buffer came from another thread. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer;
    this.#cell = new Int32Array(buffer);
  }

  raise(): void {
    Atomics.store(this.#cell, 0, 1);
  }

  /** Whether the flag was raised since the last take; lowers it. */
  take(): boolean {
    return Atomics.exchange(this.#cell, 0, 0) === 1;
  }
}
