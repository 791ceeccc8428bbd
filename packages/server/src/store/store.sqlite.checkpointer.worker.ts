import { DatabaseSync } from "node:sqlite";
import { workerData } from "node:worker_threads";
import { WalSignal } from "./store.sqlite.wal-signal.ts";

/** See store.sqlite.checkpointer.ts. */
const { path, intervalMs, rewindFrames, signal } = workerData as {
  path: string;
  intervalMs: number;
  rewindFrames: number;
  signal: SharedArrayBuffer;
};
const walSignal = new WalSignal(signal);
const idleMaxMs = 1000;

// timeout 0: a checkpoint that finds the lock taken (the writer's own checkpoint) is skipped.
const db = new DatabaseSync(path, { timeout: 0 });
db.exec("PRAGMA synchronous = FULL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");

let lastLog = -1;
let delayMs = intervalMs;

/** One pass; returns whether the WAL had grown since the last one. */
function pass(): boolean {
  try {
    const { log, checkpointed } = checkpoint.get() as { log: number; checkpointed: number };
    // All of the WAL is in the database file: the writer can rewind it for the price of the
    // commits it made meanwhile.
    if (log >= rewindFrames && checkpointed === log) walSignal.raise();
    const grew = log !== lastLog;
    lastLog = log;
    return grew;
  } catch {
    // Busy or failed: the next pass, or the writer's autocheckpoint, does it.
    return true;
  }
}

function next(): void {
  delayMs = pass() ? intervalMs : Math.min(idleMaxMs, delayMs * 2);
  setTimeout(next, delayMs);
}
setTimeout(next, intervalMs);
