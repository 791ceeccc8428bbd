import { DatabaseSync } from "node:sqlite";
import { workerData } from "node:worker_threads";

/** See store.sqlite.checkpointer.ts. */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };

// timeout 0: a checkpoint that finds the lock taken (the writer's own autocheckpoint) is skipped.
const db = new DatabaseSync(path, { timeout: 0 });
db.exec("PRAGMA synchronous = FULL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");

setInterval(() => {
  try {
    checkpoint.get();
  } catch {
    // Busy or failed: the next round, or the writer's autocheckpoint, does it.
  }
}, intervalMs);
