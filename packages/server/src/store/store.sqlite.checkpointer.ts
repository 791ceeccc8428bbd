import { Worker } from "node:worker_threads";
import type { WalSignal } from "./store.sqlite.wal-signal.ts";

export interface CheckpointerOptions {
  /** The time between passes while the WAL grows, ms (50). */
  intervalMs?: number;
  /** The WAL length, in frames, from which a caught-up pass asks the writer to rewind it (12,000). */
  rewindFrames?: number;
}

/**
 * Moves the WAL into the database file off the writer thread, and has the writer rewind it with
 * almost nothing left to copy.
 *
 * A checkpoint copies every page the WAL holds newer versions of into the database file and
 * fsyncs it. Only a writer can rewind the WAL (start it over from its first frame), and only when
 * a checkpoint has copied all of it. With the writer's `wal_autocheckpoint` doing that every
 * 10,000 frames, each such checkpoint wrote 1,400 – 2,300 pages (strace) and waited for their fsync
 * on the writer thread: 9.7 – 21.4 ms, twice a second at 10,000 msgs/s, with every append queued
 * behind it (docs/performance.md, eleventh session).
 *
 * So this thread runs a PASSIVE checkpoint every `intervalMs` on its own connection,
 * concurrently with the writer. When a pass has caught up with a WAL of `rewindFrames` or more,
 * it raises the WalSignal; the writer, between two batches, runs its own checkpoint, which only
 * copies the commits made during that pass (a few hundred frames), and its next transaction
 * rewinds the WAL. The writer's `wal_autocheckpoint` stays as a backstop, far above
 * `rewindFrames`, should this thread fall behind or die.
 *
 * A pass that finds nothing new waits twice as long as the last one, up to a second, so an idle
 * server does not wake this thread 20 times a second.
 */
export class Checkpointer {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(path: string, signal: WalSignal, options: CheckpointerOptions = {}): Checkpointer {
    const worker = new Worker(new URL("./store.sqlite.checkpointer.worker.ts", import.meta.url), {
      workerData: {
        path,
        signal: signal.buffer,
        intervalMs: options.intervalMs ?? 50,
        rewindFrames: options.rewindFrames ?? 12_000,
      },
    });
    // A failed checkpointer only leaves the work to the writer's autocheckpoint.
    worker.on("error", () => {});
    worker.unref();
    return new Checkpointer(worker);
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
