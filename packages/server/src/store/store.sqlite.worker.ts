import {
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  workerData,
} from "node:worker_threads";
import { Conn, classify } from "./store.sqlite.conn.ts";
import { WriteCtx } from "./store.sqlite.ctx.ts";
import {
  type ControlMessage,
  type ReadOps,
  type Request,
  type Result,
  readOps,
  singleStatementOps,
  type WorkerMessage,
  type WriteOps,
  writeOps,
} from "./store.sqlite.ops.ts";
import { migrate } from "./store.sqlite.schema.ts";
import { WalSignal } from "./store.sqlite.wal-signal.ts";

/**
 * The store's writer thread. It owns the only writing connection, so the fsync of every commit
 * blocks this thread and never the server's event loop.
 *
 * Group commit: the main thread posts the requests of each tick as one array. When one arrives,
 * the worker also drains every array that queued up while it was busy (it stops draining once it
 * holds MAX_BATCH requests) and runs them in ONE transaction (cursor moves past MOVE_BUDGET wait
 * for the next one, see below), then posts all results in one message. So batches grow by
 * themselves under load (everything that arrived during a commit is the next batch) and stay
 * single requests when idle, with no timer adding latency.
 *
 * Within the transaction each multi-statement request runs in its own SAVEPOINT, so a failing
 * request is rolled back alone; if COMMIT (or anything around the requests) fails, the whole
 * batch rolls back, every request in it is answered "unavailable", and the worker asks to be
 * replaced by one with a fresh connection.
 */

const MAX_BATCH = 8192;

const { path, walSignal: walSignalBuffer } = workerData as {
  path: string;
  walSignal: SharedArrayBuffer;
};
const walSignal = new WalSignal(walSignalBuffer);
const port = parentPort;
if (port === null) throw new Error("store.sqlite.worker.ts must run as a worker thread");

const conn = new Conn(path, { readOnly: false });
migrate(conn.db, Date.now());
const ctx = new WriteCtx(conn);
let crashBeforeCommit = false;

function post(message: WorkerMessage): void {
  port?.postMessage(message);
}

type AnyOp = (ctx: WriteCtx | Conn, ...args: unknown[]) => unknown;

function run(req: Request): unknown {
  if (Object.hasOwn(writeOps, req.op)) {
    return (writeOps[req.op as keyof WriteOps] as AnyOp)(ctx, ...req.args);
  }
  if (Object.hasOwn(readOps, req.op)) {
    return (readOps[req.op as keyof ReadOps] as AnyOp)(conn, ...req.args);
  }
  throw new Error(`unknown store op ${req.op}`);
}

/**
 * Runs the batch in one transaction; returns the results, whether the batch failed whole, and
 * the requests it left for later: a batch of cursor moves only (`yieldable`) ends early, after
 * any of its requests, once another kind of request is waiting (see `waiting`).
 */
function runBatch(
  reqs: Request[],
  yieldable: boolean,
): { results: Result[]; failed: boolean; left: Request[] } {
  const results: Result[] = [];
  let left: Request[] = [];
  ctx.begin(Date.now());
  try {
    conn.q("BEGIN IMMEDIATE").run();
    for (const [i, req] of reqs.entries()) {
      if (i > 0 && yieldable && somethingElseWaits()) {
        left = reqs.slice(i);
        break;
      }
      // Appends defer the conversations summary row; anything else may read it, so write it now.
      if (ctx.dirty && req.op !== "appendMessage") ctx.flush();
      // Moves stamp their groups' cursors_at once per batch; receiptsSince is its one reader.
      if (req.op === "receiptsSince") ctx.flushCursors();
      const savepoint = !singleStatementOps.has(req.op) && Object.hasOwn(writeOps, req.op);
      if (savepoint) conn.q("SAVEPOINT req").run();
      try {
        const value = run(req);
        if (savepoint) conn.q("RELEASE req").run();
        results.push({ id: req.id, ok: true, value });
      } catch (err) {
        // Some errors (I/O, disk full) make SQLite roll back the whole transaction by itself;
        // then the requests before this one are gone too and the batch has failed.
        if (!conn.db.isTransaction) throw err;
        if (savepoint) {
          conn.q("ROLLBACK TO req").run();
          conn.q("RELEASE req").run();
        }
        results.push({ id: req.id, ok: false, error: classify(err) });
      }
    }
    ctx.flush();
    ctx.flushCursors();
    if (crashBeforeCommit) throw new Error("injected crash before commit");
    conn.q("COMMIT").run();
    return { results, failed: false, left };
  } catch (err) {
    if (crashBeforeCommit) throw err; // test fault: die with the transaction open
    try {
      if (conn.db.isOpen && conn.db.isTransaction) conn.q("ROLLBACK").run();
    } catch {
      // The connection is beyond use; the replacement worker opens a new one.
    }
    ctx.forget();
    const { message } = classify(err);
    return {
      results: reqs.map((req) => ({
        id: req.id,
        ok: false,
        error: { kind: "unavailable", message },
      })),
      failed: true,
      left: [],
    };
  }
}

/**
 * The checkpointer has copied the whole WAL as it was when its pass began: copy what was
 * committed since (a few hundred frames), so that the next transaction rewinds the WAL
 * (store.sqlite.checkpointer.ts). Between batches, after the last one's answers went out.
 */
function rewindWal(): void {
  try {
    conn.q("PRAGMA wal_checkpoint(PASSIVE)").get();
  } catch {
    // Busy or failed: the WAL grows on until the next signal or the autocheckpoint.
  }
}

function handleControl(message: ControlMessage): void {
  switch (message.type) {
    case "close":
      conn.close();
      process.exit(0);
      break;
    case "fault":
      if (message.fault === "closeDb") conn.db.close();
      if (message.fault === "crashBeforeCommit") crashBeforeCommit = true;
      break;
  }
}

/**
 * Requests taken off the port and not run yet. Cursor moves are the only bulk, deferrable work
 * (a 20,000-member group acking one message is 20,000 moves, which CursorBatcher posts in
 * requests of 100): they never hold up anything else for long.
 *
 * - A batch runs every other waiting request first, then as many requests of moves as fit in
 *   MOVES_BESIDE moves, so that under a steady stream of sends the moves still progress.
 * - A batch of moves only takes up to MOVE_BUDGET of them, and ends early (commits what it ran)
 *   as soon as another request arrives: that request waits for one request of moves, a few
 *   milliseconds, not for the flood.
 *
 * Running an append before moves that arrived earlier is safe: moves are clamped to the log as
 * it is when they run.
 */
const waiting: Request[] = [];
/** Requests in `waiting` that are not cursor moves. */
let othersWaiting = 0;
/** A control message taken off the port, handled once `waiting` is empty. */
let pendingControl: ControlMessage | undefined;
const MOVE_BUDGET = 2_000;
const MOVES_BESIDE = 100;

function enqueue(req: Request): void {
  if (req.op !== "moveCursors") othersWaiting++;
  waiting.push(req);
}

/** Takes whatever is on the port into `waiting`, up to a control message (which keeps its place). */
function drain(): void {
  while (pendingControl === undefined && waiting.length < MAX_BATCH) {
    const next = receiveMessageOnPort(port as MessagePort)?.message as
      | Request[]
      | ControlMessage
      | undefined;
    if (next === undefined) return;
    if (!Array.isArray(next)) pendingControl = next;
    else for (const req of next) enqueue(req);
  }
}

/** Whether a batch of moves should end early: something else arrived meanwhile. */
function somethingElseWaits(): boolean {
  drain();
  return othersWaiting > 0 || pendingControl !== undefined;
}

/** The next batch: every waiting request but the moves past the budget, the others first. */
function nextBatch(): { batch: Request[]; movesOnly: boolean } {
  const movesOnly = othersWaiting === 0;
  const budget = movesOnly ? MOVE_BUDGET : MOVES_BESIDE;
  const others: Request[] = [];
  const moves: Request[] = [];
  const deferred: Request[] = [];
  let moved = 0;
  for (const req of waiting) {
    if (req.op !== "moveCursors") {
      others.push(req);
      continue;
    }
    const count = (req.args[0] as unknown[]).length;
    // A batch of moves only takes at least one request of them, whatever its size.
    const fits = moved + count <= budget || (movesOnly && moved === 0);
    if (!fits) {
      deferred.push(req);
      continue;
    }
    moved += count;
    moves.push(req);
  }
  waiting.length = 0;
  othersWaiting = 0;
  for (const req of deferred) waiting.push(req);
  return { batch: [...others, ...moves], movesOnly };
}

port.on("message", (first: Request[] | ControlMessage) => {
  if (!Array.isArray(first)) return handleControl(first);
  for (const req of first) enqueue(req);
  drain();
  while (waiting.length > 0) {
    const { batch, movesOnly } = nextBatch();
    const { results, failed, left } = runBatch(batch, movesOnly);
    // What an early end left goes first next time, in its order.
    if (left.length > 0) waiting.unshift(...left);
    const cpu = process.threadCpuUsage();
    post({
      type: "results",
      results,
      batchSize: results.length,
      restart: failed,
      cpuMicros: cpu.user + cpu.system,
    });
    // A failed batch makes the main thread replace this worker; its exit rejects the rest.
    if (failed) break;
    if (walSignal.take()) rewindWal();
    drain();
  }
  // Whatever followed the control message on the port arrives as the next "message" events.
  const control = pendingControl;
  pendingControl = undefined;
  if (control !== undefined) handleControl(control);
});

post({ type: "ready" });
