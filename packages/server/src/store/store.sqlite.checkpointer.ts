import { Worker } from "node:worker_threads";

/**
 * Moves the WAL into the database file in the background. A checkpoint copies every page the
 * WAL holds newer versions of and fsyncs the database file: with the writer's
 * `wal_autocheckpoint` alone, it ran on the writer thread once every 10,000 WAL pages and held
 * up every request queued behind it (tens of milliseconds: the tail of the group bench). This
 * thread runs a PASSIVE checkpoint every `intervalMs` on its own connection, concurrently with
 * the writer, so when the writer's autocheckpoint comes due almost everything is already copied
 * and it only finishes the tail and rewinds the WAL.
 */
export class Checkpointer {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(path: string, intervalMs = 1000): Checkpointer {
    const worker = new Worker(new URL("./store.sqlite.checkpointer.worker.ts", import.meta.url), {
      workerData: { path, intervalMs },
    });
    // A failed checkpoint only leaves the work to the writer's autocheckpoint.
    worker.on("error", () => {});
    worker.unref();
    return new Checkpointer(worker);
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
