import { Worker } from "node:worker_threads";
import type { WireError } from "./store.sqlite.conn.ts";
import type {
  ControlMessage,
  Fault,
  ReadOpName,
  Request,
  WorkerMessage,
  WriteOpName,
} from "./store.sqlite.ops.ts";
import { StoreConflictError, StoreRejectedError, StoreUnavailableError } from "./store.ts";

/** Restart delays after a worker that died before it was ready (the file cannot be opened). */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * The requests of one post that await an answer, by id; the post's ids are consecutive from
 * `firstId`. A map per post rather than one for the worker's life: a long-lived map that takes
 * and drops ten thousand entries a second keeps reallocating its table, and each new table
 * outlives the minor GCs (the map holding it is old) and is promoted, to be freed only by a full
 * GC. A post's map is young and dies young, once its last request is answered.
 */
interface Post {
  firstId: number;
  pending: Map<number, Pending>;
}

/** One incarnation of the worker and the requests posted to it that await an answer. */
interface Incarnation {
  worker: Worker;
  /** In the order posted, so by increasing `firstId`; a post leaves once all of it is answered. */
  posts: Post[];
  ready: boolean;
  error?: Error;
  /** The worker's CPU time at its last answer. */
  cpuMicros: number;
}

/** Commit batch sizes, for benchmarks and metrics. */
export interface BatchStats {
  batches: number;
  requests: number;
  maxBatch: number;
  /** CPU time the worker threads spent, in microseconds. */
  workerCpuMicros: number;
}

/**
 * The main thread's end of the store worker (store.sqlite.worker.ts): it queues requests, posts
 * each tick's requests as one array, and settles each promise from the worker's answer.
 *
 * If the worker dies (an uncaught error, or it asks to be replaced after a failed commit), every
 * request posted to it that is still unanswered rejects with StoreUnavailableError (its batch
 * rolled back with the dead connection, or never ran) and a new worker starts at once. A worker
 * that dies before it is ready is retried with a growing delay, and requests made meanwhile
 * reject at once rather than pile up.
 */
export class WorkerThread {
  readonly #path: string;
  /** The checkpointer's WalSignal (its buffer), shared by every incarnation of the worker. */
  readonly #walSignal: SharedArrayBuffer;
  #current: Incarnation | undefined;
  #queue: Request[] = [];
  #queued = new Map<number, Pending>();
  #flushScheduled = false;
  #nextId = 1;
  #closing = false;
  #retryMs = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly stats: BatchStats = { batches: 0, requests: 0, maxBatch: 0, workerCpuMicros: 0 };

  private constructor(path: string, walSignal: SharedArrayBuffer) {
    this.#path = path;
    this.#walSignal = walSignal;
  }

  /**
   * Starts the worker (which migrates the schema) and resolves once it is ready. The worker
   * rewinds the WAL when the checkpointer raises `walSignal`.
   */
  static async start(path: string, walSignal: SharedArrayBuffer): Promise<WorkerThread> {
    const thread = new WorkerThread(path, walSignal);
    const first = thread.#spawn();
    await new Promise<void>((resolve, reject) => {
      const onExit = () => {
        thread.#closing = true; // no retries for a store that never opened
        reject(first.error ?? new StoreUnavailableError("store worker exited while starting"));
      };
      first.worker.once("exit", onExit);
      first.worker.once("message", () => {
        first.worker.off("exit", onExit);
        resolve();
      });
    });
    return thread;
  }

  /** Queues a request for the worker's next batch. */
  request(op: WriteOpName | ReadOpName, args: unknown[]): Promise<unknown> {
    if (this.#closing) return Promise.reject(new StoreUnavailableError("store is closed"));
    if (this.#current === undefined) {
      return Promise.reject(new StoreUnavailableError("store worker is restarting"));
    }
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#queue.push({ id, op, args });
      this.#queued.set(id, { resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // setImmediate, not a microtask: everything the event loop handles in this turn (all
        // socket reads of one poll) joins one post, at no added latency.
        setImmediate(this.#flush);
      }
    });
  }

  /** Test hook: makes the worker misbehave; see `Fault`. */
  fault(fault: Fault): void {
    this.#flush();
    this.#control({ type: "fault", fault });
  }

  /** Answers everything already requested, then stops the worker. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    this.#flush();
    const current = this.#current;
    if (current === undefined) return;
    const exited = new Promise((resolve) => current.worker.once("exit", resolve));
    this.#control({ type: "close" });
    await exited;
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    const queued = this.#queued;
    this.#queue = [];
    this.#queued = new Map();
    const current = this.#current;
    if (current === undefined) {
      const err = new StoreUnavailableError("store worker is restarting");
      for (const pending of queued.values()) pending.reject(err);
      return;
    }
    current.posts.push({ firstId: (batch[0] as Request).id, pending: queued });
    current.worker.postMessage(batch);
  };

  #control(message: ControlMessage): void {
    this.#current?.worker.postMessage(message);
  }

  #spawn(): Incarnation {
    const worker = new Worker(new URL("./store.sqlite.worker.ts", import.meta.url), {
      workerData: { path: this.#path, walSignal: this.#walSignal },
    });
    const incarnation: Incarnation = { worker, posts: [], ready: false, cpuMicros: 0 };
    worker.on("message", (message: WorkerMessage) => this.#onMessage(incarnation, message));
    worker.on("error", (err) => {
      incarnation.error = err;
    });
    worker.on("exit", () => this.#onExit(incarnation));
    this.#current = incarnation;
    return incarnation;
  }

  #onMessage(incarnation: Incarnation, message: WorkerMessage): void {
    if (message.type === "ready") {
      incarnation.ready = true;
      this.#retryMs = 0;
      return;
    }
    this.stats.batches++;
    this.stats.requests += message.batchSize;
    if (message.batchSize > this.stats.maxBatch) this.stats.maxBatch = message.batchSize;
    this.stats.workerCpuMicros += message.cpuMicros - incarnation.cpuMicros;
    incarnation.cpuMicros = message.cpuMicros;
    for (const result of message.results) {
      const pending = takePending(incarnation.posts, result.id);
      if (pending === undefined) continue;
      if (result.ok) pending.resolve(result.value);
      else pending.reject(toError(result.error));
    }
    if (message.restart && incarnation === this.#current) {
      // The batch failed whole; the connection may be broken. Replace the worker: its exit
      // rejects whatever else was posted to it and starts the next one.
      void incarnation.worker.terminate();
    }
  }

  #onExit(incarnation: Incarnation): void {
    const reason = incarnation.error?.message ?? "store worker stopped";
    const err = new StoreUnavailableError(reason);
    for (const post of incarnation.posts)
      for (const pending of post.pending.values()) pending.reject(err);
    incarnation.posts = [];
    if (incarnation !== this.#current) return;
    this.#current = undefined;
    if (this.#closing) return;
    if (incarnation.ready) {
      this.#spawn();
      return;
    }
    // It died while opening the database: retry later, doubling the wait.
    this.#retryMs = Math.min(
      MAX_RETRY_MS,
      this.#retryMs === 0 ? FIRST_RETRY_MS : this.#retryMs * 2,
    );
    this.#retryTimer = setTimeout(() => {
      if (!this.#closing) this.#spawn();
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}

/** Removes and returns what request `id` awaits; its post goes once all of it is answered. */
function takePending(posts: Post[], id: number): Pending | undefined {
  // The post holding `id` is the last one that starts at or before it.
  let low = 0;
  let high = posts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((posts[mid] as Post).firstId <= id) low = mid;
    else high = mid - 1;
  }
  const post = posts[low];
  const pending = post?.pending.get(id);
  if (post === undefined || pending === undefined) return undefined;
  post.pending.delete(id);
  if (post.pending.size === 0) posts.splice(low, 1);
  return pending;
}

function toError(error: WireError): Error {
  switch (error.kind) {
    case "conflict":
      return new StoreConflictError(error.message);
    case "unavailable":
      return new StoreUnavailableError(error.message);
    case "invalid":
      return new Error(error.message);
    case "rejected":
      return new StoreRejectedError(error.code ?? "forbidden", error.message);
  }
}
