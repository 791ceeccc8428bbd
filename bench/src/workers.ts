import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { boostProcess } from "./boost.ts";
import type { FromWorker, GroupFromWorker, ToWorker, WorkerResult } from "./ipc.ts";

const workerMain = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** Clients one generator process holds when --procs is not given. */
export const clientsPerProcess = 10_000;

/**
 * No allocation-site pretenuring in the generator, for the reason the server has none
 * (packages/server/src/v8-flags.ts): the connect storm and the JIT's first seconds make V8
 * pretenure the message path's allocation sites, whose objects then die in the old generation
 * and keep every young object they point to alive through each scavenge. With pretenuring on,
 * the generator promoted 7 – 8 MB per scavenge at 10,000 msgs/s and its scavenges paused it
 * for 4 – 14 ms (6.4 on average), each pause a delay inside the round trips it times; with it
 * off, 0.33 MB and 0.8 – 2.9 ms after start-up (docs/performance.md, eleventh session).
 */
const generatorV8Flags = ["--no-allocation-site-pretenuring"];

/**
 * How many generator processes hold `clients` clients: --procs if given, otherwise one per
 * 10,000 clients, each then well under the 20,000-file limit. Not more: on two cores every
 * extra process competes with the server for the CPU and batches less of its own work (one
 * process instead of two for 1,000 pairs, fifth session: closed loop raw 31,551 -> 38,075 msgs/s;
 * open loop at 6,000 msgs/s p99 134.5 -> 55.1 - 56.4 ms and generator 0.58 -> 0.42 cores).
 */
export function generatorProcs(
  args: { procs: number; procsGiven: boolean },
  clients: number,
): number {
  const wanted = args.procsGiven ? args.procs : Math.ceil(clients / clientsPerProcess);
  return Math.max(1, Math.min(wanted, clients));
}

/**
 * The generator's worker processes. Worker i binds its client sockets to 127.0.0.(i+2), so
 * every worker has its own ephemeral port range and its own 20,000-file limit.
 */
export class WorkerPool<M extends { type: string } = ToWorker> {
  readonly #children: ChildProcess[];
  readonly #online: number[];
  readonly #results: Array<WorkerResult | undefined>;
  #failure: string | undefined;
  readonly #listeners: Array<(i: number, message: FromWorker | GroupFromWorker) => void> = [];

  constructor(
    count: number,
    options: {
      profileDir?: string;
      boost?: boolean;
      execArgv?: string[];
      /** The worker script (default worker.ts) and extra environment for it. */
      script?: string;
      env?: Record<string, string>;
    } = {},
  ) {
    const execArgv = [...generatorV8Flags];
    if (options.profileDir) {
      execArgv.push("--cpu-prof", `--cpu-prof-dir=${path.resolve(options.profileDir)}`);
    }
    execArgv.push(...(options.execArgv ?? []));
    this.#online = new Array<number>(count).fill(0);
    this.#results = new Array<WorkerResult | undefined>(count).fill(undefined);
    this.#children = Array.from({ length: count }, (_, i) => {
      const child = fork(options.script ?? workerMain, [], {
        execArgv,
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
        serialization: "advanced",
        detached: options.boost === true,
      });
      if (options.boost && child.pid !== undefined) boostProcess(child.pid);
      child.on("message", (message: FromWorker | GroupFromWorker) => {
        if (message.type === "online") this.#online[i] = message.count;
        else if (message.type === "result") this.#results[i] = message.result;
        else if (message.type === "failed") this.#failure = `worker ${i}: ${message.message}`;
        for (const listener of this.#listeners) listener(i, message);
      });
      child.on("exit", (code) => {
        if (code !== 0 && this.#results[i] === undefined) {
          this.#failure ??= `worker ${i} exited with ${code}`;
        }
      });
      return child;
    });
  }

  /** Every message from every worker, after the pool's own bookkeeping (scenario-specific reports). */
  onMessage(listener: (i: number, message: FromWorker | GroupFromWorker) => void): void {
    this.#listeners.push(listener);
  }

  /** The first failure a worker reported or its unexpected exit, if any. */
  get failure(): string | undefined {
    return this.#failure;
  }

  get size(): number {
    return this.#children.length;
  }

  get pids(): number[] {
    return this.#children.map((c) => c.pid ?? 0).filter((pid) => pid > 0);
  }

  /** The source address worker `i` binds its sockets to. */
  static localAddress(i: number): string {
    return `127.0.0.${2 + i}`;
  }

  send(i: number, message: M): void {
    this.#children[i]?.send(message);
  }

  broadcast(message: M): void {
    for (let i = 0; i < this.#children.length; i++) this.send(i, message);
  }

  get online(): number {
    return this.#online.reduce((a, b) => a + b, 0);
  }

  /** Resolves once `total` clients are online over all workers; rejects on timeout or failure. */
  waitOnline(total: number, timeoutMs: number, onProgress?: (online: number) => void) {
    let last = -1;
    return this.#waitFor(
      () => {
        if (this.online !== last) {
          last = this.online;
          onProgress?.(last);
        }
        return this.online >= total;
      },
      timeoutMs,
      `only ${this.online} of ${total} clients online`,
    );
  }

  /** Resolves with every worker's result; rejects on timeout or failure. */
  async results(timeoutMs: number): Promise<WorkerResult[]> {
    await this.#waitFor(
      () => this.#results.every((r) => r !== undefined),
      timeoutMs,
      "workers did not report in time",
    );
    return this.#results as WorkerResult[];
  }

  /** Tells every worker to close its clients and exit; kills those still there after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send({ type: "stop" } satisfies { type: string });
            else child.kill("SIGTERM");
          }),
      ),
    );
  }

  /** Polls `done` every 100 ms (IPC messages update the state in between). */
  #waitFor(done: () => boolean, timeoutMs: number, timeoutMessage: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const check = () => {
        if (this.#failure !== undefined) reject(new Error(this.#failure));
        else if (done()) resolve();
        else if (Date.now() > deadline) reject(new Error(timeoutMessage));
        else setTimeout(check, 100);
      };
      check();
    });
  }
}
