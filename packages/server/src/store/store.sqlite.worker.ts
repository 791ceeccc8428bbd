import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
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

/**
 * The store's writer thread. It owns the only writing connection, so the fsync of every commit
 * blocks this thread and never the server's event loop.
 *
 * Group commit: the main thread posts the requests of each tick as one array. When one arrives,
 * the worker also drains every array that queued up while it was busy (it stops draining once it
 * holds MAX_BATCH requests) and runs them all in ONE transaction, then posts all results in one message. So batches grow by
 * themselves under load (everything that arrived during a commit is the next batch) and stay
 * single requests when idle, with no timer adding latency.
 *
 * Within the transaction each multi-statement request runs in its own SAVEPOINT, so a failing
 * request is rolled back alone; if COMMIT (or anything around the requests) fails, the whole
 * batch rolls back, every request in it is answered "unavailable", and the worker asks to be
 * replaced by one with a fresh connection.
 */

const MAX_BATCH = 8192;

const { path } = workerData as { path: string };
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

/** Runs the batch in one transaction; returns the results and whether the batch failed whole. */
function runBatch(reqs: Request[]): { results: Result[]; failed: boolean } {
  const results: Result[] = [];
  ctx.begin(Date.now());
  try {
    conn.q("BEGIN IMMEDIATE").run();
    for (const req of reqs) {
      // Appends defer the conversations summary row; anything else may read it, so write it now.
      if (ctx.dirty && req.op !== "appendMessage") ctx.flush();
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
    if (crashBeforeCommit) throw new Error("injected crash before commit");
    conn.q("COMMIT").run();
    return { results, failed: false };
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
    };
  }
}

function control(message: ControlMessage): void {
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

port.on("message", (first: Request[] | ControlMessage) => {
  if (!Array.isArray(first)) return control(first);
  const reqs = first;
  let after: ControlMessage | undefined;
  while (reqs.length < MAX_BATCH) {
    const next = receiveMessageOnPort(port)?.message as Request[] | ControlMessage | undefined;
    if (next === undefined) break;
    if (!Array.isArray(next)) {
      after = next; // a control message ends the batch, keeping its place in the order
      break;
    }
    for (const req of next) reqs.push(req);
  }
  const { results, failed } = runBatch(reqs);
  const cpu = process.threadCpuUsage();
  post({
    type: "results",
    results,
    batchSize: reqs.length,
    restart: failed,
    cpuMicros: cpu.user + cpu.system,
  });
  if (after !== undefined) control(after);
});

post({ type: "ready" });
