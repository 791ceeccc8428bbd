import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { timeOrderedId } from "@courier/client";
import { SqliteStore } from "../../packages/server/src/store/store.sqlite.ts";
import type {
  CursorMove,
  StoredDevice,
  StoredUser,
} from "../../packages/server/src/store/store.ts";

/**
 * `npm run bench -- store [flags]`: the embedded store on its own, without sockets. Opens a
 * SQLite store in a temp dir (same disk as the server's data dir would be, WAL fsynced on every
 * commit) and measures, with a closed loop of `--window` calls in flight:
 *   1. appendMessage: `--messages` appends spread round-robin over `--conversations`;
 *   2. moveCursors: one delivered+read move per message, as receipts would do;
 *   3. read latency while appends run (membersOf + messagesAfter), to compare `--reads main`
 *      (default: reads on a main-thread connection) with `--reads worker`.
 * Prints throughput, latency percentiles and commit batch sizes, then a JSON line.
 */

const usage = `usage: npm run bench -- store [flags]
  --messages N        appends to make (200000)
  --conversations M   conversations to spread them over (1000)
  --window W          calls in flight at once (2000)
  --size B            bytes of text per message (100)
  --reads main|worker where reads run (main)
  --dir D             parent directory of the temp store (os.tmpdir())`;

interface Options {
  messages: number;
  conversations: number;
  window: number;
  size: number;
  reads: "main" | "worker";
  dir: string;
}

function parse(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      messages: { type: "string" },
      conversations: { type: "string" },
      window: { type: "string" },
      size: { type: "string" },
      reads: { type: "string" },
      dir: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return undefined;
  const int = (v: string | undefined, fallback: number) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got ${v}`);
    return n;
  };
  const reads = values.reads ?? "main";
  if (reads !== "main" && reads !== "worker") throw new Error("--reads is main or worker");
  return {
    messages: int(values.messages, 200_000),
    conversations: int(values.conversations, 1000),
    window: int(values.window, 2000),
    size: int(values.size, 100),
    reads,
    dir: values.dir ?? tmpdir(),
  };
}

/** Runs `total` calls of `call(i)` with at most `window` in flight; returns per-call latencies. */
async function closedLoop(
  total: number,
  window: number,
  call: (i: number) => Promise<unknown>,
): Promise<Float64Array> {
  const latencies = new Float64Array(total);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < total) {
      const i = next++;
      const start = performance.now();
      await call(i);
      latencies[i] = performance.now() - start;
    }
  }
  await Promise.all(Array.from({ length: Math.min(window, total) }, lane));
  return latencies;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summary(latencies: Float64Array) {
  const sorted = latencies.slice().sort();
  return {
    p50: +percentile(sorted, 50).toFixed(2),
    p99: +percentile(sorted, 99).toFixed(2),
    max: +percentile(sorted, 100).toFixed(2),
  };
}

interface Phase {
  name: string;
  calls: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  batches: number;
  meanBatch: number;
  maxBatch: number;
  /** CPU per call, in microseconds: the calling (main) thread and the store's worker thread. */
  cpuMicrosPerCall: { main: number; worker: number };
}

async function phase(
  store: SqliteStore,
  name: string,
  total: number,
  window: number,
  call: (i: number) => Promise<unknown>,
): Promise<Phase> {
  store.resetBatchStats();
  const cpu0 = process.threadCpuUsage();
  const start = performance.now();
  const latencies = await closedLoop(total, window, call);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.threadCpuUsage(cpu0);
  const stats = store.batchStats();
  const batches = stats.batches;
  return {
    name,
    calls: total,
    seconds: +seconds.toFixed(2),
    perSecond: Math.round(total / seconds),
    latencyMs: summary(latencies),
    batches,
    meanBatch: +(stats.requests / Math.max(1, batches)).toFixed(1),
    maxBatch: stats.maxBatch,
    cpuMicrosPerCall: {
      main: +((cpu.user + cpu.system) / total).toFixed(1),
      worker: +(stats.workerCpuMicros / total).toFixed(1),
    },
  };
}

export async function runStoreBench(args: string[]): Promise<number> {
  const options = parse(args);
  if (options === undefined) {
    console.log(usage);
    return 0;
  }
  const dataDir = await mkdtemp(join(options.dir, "courier-store-bench-"));
  const store = await SqliteStore.open({ dataDir, reads: options.reads });
  try {
    const { conversations: m, messages: n, window } = options;
    console.log(
      `store bench: ${n} messages over ${m} conversations, window ${window}, reads on ${options.reads}, data in ${dataDir}`,
    );

    // Setup: two users with a device each per conversation, made concurrently like real sign-ups.
    const users: StoredUser[] = await Promise.all(
      Array.from({ length: 2 * m }, (_, i) =>
        store.createUser({ username: `u${i}`, displayName: `User ${i}`, passwordHash: "h" }),
      ),
    );
    const devices: StoredDevice[] = await Promise.all(
      users.map((u, i) => store.createDevice({ userId: u.id, name: "phone", tokenHash: `t${i}` })),
    );
    const convs = Array.from({ length: m }, (_, k) => `d:bench:${k}`);
    await Promise.all(
      convs.map((c, k) =>
        store.ensureDirectConversation(c, users[2 * k]?.id ?? "", users[2 * k + 1]?.id ?? ""),
      ),
    );
    const text = "x".repeat(options.size);

    // Message i goes to conversation i % m, sent by either member in turn.
    const sender = (i: number) => {
      const k = i % m;
      const side = Math.floor(i / m) % 2;
      return { k, u: users[2 * k + side] as StoredUser, d: devices[2 * k + side] as StoredDevice };
    };
    const append = await phase(store, "appendMessage", n, window, (i) => {
      const { k, u, d } = sender(i);
      return store.appendMessage({
        conversationId: convs[k] as string,
        senderId: u.id,
        senderDeviceId: d.id,
        cid: timeOrderedId(),
        content: { type: "text", text },
      });
    });

    // The recipient of message i acks it: delivered and read up to its seq.
    const cursors = await phase(store, "moveCursors", n, window, (i) => {
      const { k } = sender(i);
      const side = 1 - (Math.floor(i / m) % 2);
      const seq = Math.floor(i / m) + 1;
      const move: CursorMove = {
        conversationId: convs[k] as string,
        userId: (users[2 * k + side] as StoredUser).id,
        deviceId: (devices[2 * k + side] as StoredDevice).id,
        delivered: seq,
        read: seq,
      };
      return store.moveCursors([move]);
    });

    // Reads while the writer is busy: one sequential reader (membersOf, then the last 20
    // messages, as a send and a sync would) for as long as a second write load runs.
    let writing = true;
    const writes = phase(
      store,
      "appendMessage (beside a reader)",
      Math.min(n, 50_000),
      window,
      (i) => {
        const { k, u, d } = sender(i);
        return store.appendMessage({
          conversationId: convs[k] as string,
          senderId: u.id,
          senderDeviceId: d.id,
          cid: `r${i}`,
          content: { type: "text", text },
        });
      },
    ).finally(() => {
      writing = false;
    });
    const readLatencies: number[] = [];
    while (writing) {
      const conv = convs[readLatencies.length % m] as string;
      const t0 = performance.now();
      await store.membersOf(conv);
      await store.messagesAfter(conv, Math.max(0, Math.floor(n / m) - 20), 20);
      readLatencies.push(performance.now() - t0);
      // Main-thread reads resolve without waiting for I/O; a real reader is driven by socket
      // events, so yield to the event loop between reads as it would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const phases = [append, cursors, await writes];
    const reads = {
      reads: options.reads,
      calls: readLatencies.length,
      latencyMs: summary(Float64Array.from(readLatencies)),
    };

    for (const p of phases) {
      console.log(
        `${p.name.padEnd(44)} ${String(p.perSecond).padStart(8)}/s  ${p.calls} calls in ${p.seconds}s  ` +
          `latency p50 ${p.latencyMs.p50} ms p99 ${p.latencyMs.p99} ms  ` +
          `commits ${p.batches} (mean batch ${p.meanBatch}, max ${p.maxBatch})  ` +
          `CPU/call main ${p.cpuMicrosPerCall.main} us, worker ${p.cpuMicrosPerCall.worker} us`,
      );
    }
    console.log(
      `reads beside the writer (${reads.reads} thread): ${reads.calls} membersOf+messagesAfter, ` +
        `latency p50 ${reads.latencyMs.p50} ms p99 ${reads.latencyMs.p99} ms max ${reads.latencyMs.max} ms`,
    );
    console.log(JSON.stringify({ scenario: "store", options, phases, reads }));
    return 0;
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
