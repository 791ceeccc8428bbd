import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPairs, lastSeqs } from "./accounts.ts";
import { type BenchArgs, parseBenchArgs } from "./args.ts";
import { rawDriver } from "./driver.raw.ts";
import { sdkDriver } from "./driver.sdk.ts";
import type { Driver } from "./driver.ts";
import type { FromWorker, ToWorker, WorkerResult } from "./ipc.ts";
import { MessagingLoad } from "./load.messaging.ts";
import { sleep } from "./pool.ts";
import { machineBusySeconds, sampleProc, sampleProcs } from "./proc.ts";
import { int, mib, ms, Report } from "./report.ts";
import { summarize } from "./samples.ts";
import { diagnosticOptions, type ServerHandle, startServer } from "./server.ts";
import { generatorProcs, WorkerPool } from "./workers.ts";

/**
 * `npm run bench -- --cluster N [messaging flags]`: the one-on-one messaging benchmark across N
 * Courier nodes on PostgreSQL + NATS (issue 5). Each node is a real `main.ts` process on its own
 * loopback port, all on a fresh database (dropped afterwards) and the machine's NATS. Pair i has
 * its sender on node i mod N and its receiver on node i+1 mod N, so with N > 1 every message
 * crosses nodes through NATS, and so does its delivered receipt.
 *
 * On one machine the nodes share the cores with PostgreSQL, NATS and the generator, so the
 * figure to compare is cost: CPU seconds per 1,000 messages on the nodes (and on PostgreSQL and
 * NATS), for `--cluster 1` against `--cluster 3`. CPU times come from /proc/<pid>/stat.
 *
 * The generator workers are this very file, forked with COURIER_BENCH_CLUSTER_WORKER=1: the
 * messaging load of `load.messaging.ts`, with a driver that opens each client on its own node.
 */

const adminUrl =
  process.env.COURIER_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const natsUrl = process.env.COURIER_BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
const workerFlag = "COURIER_BENCH_CLUSTER_WORKER";

type Setup = Extract<ToWorker, { type: "messaging" }>;
type ClusterToWorker =
  | { type: "cluster-messaging"; setup: Setup; nodeOf: Record<string, string> }
  | Extract<ToWorker, { type: "start" | "stop" }>;

interface NodeRun {
  index: number;
  url: string;
  pid: number;
  /** RSS right after start, before any client. */
  rssIdle: number;
  /** RSS once every client is online. */
  rssOnline: number;
  rssPeak: number;
  rssAfter: number;
  cpuSeconds: number;
  /** Client connections this node holds (senders + receivers). */
  connections: number;
  /** Messages its senders submitted (the node stored them and routed them to another node). */
  sent: number;
}

export interface ClusterResult {
  bench: "messaging-cluster";
  nodes: number;
  driver: "sdk" | "raw";
  pairs: number;
  window: number;
  rate: number;
  procs: number;
  duration: number;
  msgsPerSec: number;
  latencyMs: ReturnType<typeof summarize>;
  submitted: number;
  acked: number;
  delivered: number;
  received: number;
  doubles: number;
  lost: number;
  stored: number;
  ok: boolean;
  perNode: NodeRun[];
  /** CPU seconds per 1,000 delivered messages in the measured window. */
  cost: { nodes: number; perNode: number[]; postgres: number; nats: number; generator: number };
  /** Sums over the measured window, seconds. */
  cpu: { nodes: number; postgres: number; nats: number; generator: number; machine: number };
  /**
   * PostgreSQL: WAL bytes per delivered message in the window (server-wide, so other databases'
   * writes meanwhile count too: an upper bound), and the bench database's on-disk bytes per
   * stored message at the end (messages table with its indexes; all tables).
   */
  postgres: { walBytesPerMsg: number; messageBytesPerMsg: number; databaseBytesPerMsg: number };
  loadavg: number[];
  errors: Record<string, number>;
}

/** Entry from main.ts: `argv` still holds `--cluster N`. */
export async function runCluster(argv: string[]): Promise<number> {
  const at = argv.indexOf("--cluster");
  const nodes = Number(argv[at + 1]);
  if (!Number.isInteger(nodes) || nodes < 1) {
    console.error("--cluster needs a node count >= 1");
    return 2;
  }
  const args = parseBenchArgs([...argv.slice(0, at), ...argv.slice(at + 2)]);
  if (args === undefined) return 2;
  if (args.scenario !== "messaging" || args.target !== "") {
    console.error("--cluster runs the messaging scenario on nodes it starts (no --target)");
    return 2;
  }
  return (await runClusterMessaging(args, nodes)).ok ? 0 : 1;
}

async function runClusterMessaging(args: BenchArgs, count: number): Promise<ClusterResult> {
  const report = new Report(args.quiet);
  report.line(
    `Courier cluster bench: ${count} node(s) on PostgreSQL + NATS, ${args.pairs} pairs (sender and receiver on different nodes), ` +
      `${args.rate > 0 ? `${int(args.rate)} msgs/s paced` : `window ${args.window}`}, ${args.duration} s (+${args.warmup} s warm-up), ` +
      `${args.procs} worker processes, driver ${args.raw ? "raw protocol" : "SDK"}`,
  );
  const db = await freshDatabase();
  report.progress(`database ${db.name}`);
  const servers: ServerHandle[] = [];
  let workers: WorkerPool<ClusterToWorker> | undefined;
  try {
    const env = { COURIER_DATABASE_URL: db.url, COURIER_NATS_URL: natsUrl };
    // One after the other: the first migrates (the others would wait on its advisory lock).
    for (let i = 0; i < count; i++) {
      servers.push(await startServer({ env, boost: args.boost, ...diagnosticOptions(args) }));
    }
    await sleep(1000);
    const nodes: NodeRun[] = servers.map((s, index) => ({
      index,
      url: s.url,
      pid: s.pid as number,
      rssIdle: sampleProc(s.pid as number).rss,
      rssOnline: 0,
      rssPeak: 0,
      rssAfter: 0,
      cpuSeconds: 0,
      connections: 0,
      sent: 0,
    }));
    report.progress(`nodes ${nodes.map((n) => `${n.url} (pid ${n.pid})`).join(", ")}`);

    const t0 = Date.now();
    const pairs = await createPairs(nodes[0]?.url as string, args.pairs);
    report.progress(
      `registered ${int(args.pairs * 2)} users and ${int(args.pairs)} conversations in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const nodeOf: Record<string, string> = {};
    const senderNode: number[] = [];
    pairs.forEach((pair, i) => {
      const s = i % count;
      const r = (i + 1) % count;
      nodeOf[pair.sender.user.id] = nodes[s]?.url as string;
      nodeOf[pair.receiver.user.id] = nodes[r]?.url as string;
      senderNode.push(s);
      (nodes[s] as NodeRun).connections++;
      (nodes[r] as NodeRun).connections++;
    });

    const procs = generatorProcs(args, 2 * args.pairs);
    // The generator processes are this file, forked with the worker flag set.
    workers = new WorkerPool<ClusterToWorker>(procs, {
      script: fileURLToPath(import.meta.url),
      env: { [workerFlag]: "1" },
    });
    const shares = split(pairs, procs);
    shares.forEach((share, i) => {
      const mine: Record<string, string> = {};
      for (const p of share) {
        mine[p.sender.user.id] = nodeOf[p.sender.user.id] as string;
        mine[p.receiver.user.id] = nodeOf[p.receiver.user.id] as string;
      }
      workers?.send(i, {
        type: "cluster-messaging",
        nodeOf: mine,
        setup: {
          type: "messaging",
          url: nodes[0]?.url as string,
          localAddress: WorkerPool.localAddress(i),
          driver: args.raw ? "raw" : "sdk",
          pairs: share,
          window: args.window,
          rate: (args.rate * share.length) / args.pairs,
          size: args.size,
        },
      });
    });
    const t1 = Date.now();
    await workers.waitOnline(args.pairs * 2, 120_000);
    report.progress(
      `${int(args.pairs * 2)} clients online in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
    await sleep(500);
    for (const n of nodes) {
      n.rssOnline = sampleProc(n.pid).rss;
      n.rssPeak = n.rssOnline;
    }
    const sampler = setInterval(() => {
      for (const n of nodes) n.rssPeak = Math.max(n.rssPeak, sampleProc(n.pid).rss);
    }, 250);

    const startAt = Date.now() + 300;
    const measureFrom = startAt + args.warmup * 1000;
    const measureTo = measureFrom + args.duration * 1000;
    workers.broadcast({ type: "start", startAt, measureFrom, measureTo, drainMs: 15_000 });
    report.progress(`running: warm-up ${args.warmup} s, then ${args.duration} s measured`);
    await sleep(measureFrom - Date.now());
    const walFrom = await db.wal();
    const from = sampleAll(nodes, workers.pids);
    await sleep(measureTo - Date.now());
    const to = sampleAll(nodes, workers.pids);
    const walTo = await db.wal();
    clearInterval(sampler);
    report.progress("draining: waiting for every message in flight");
    const results = await workers.results(30_000);
    for (const n of nodes) n.rssAfter = sampleProc(n.pid).rss;
    nodes.forEach((n, i) => {
      n.cpuSeconds = (to.nodes[i] as number) - (from.nodes[i] as number);
    });

    // Messages per sender node, from the per-pair counts (in the order of the shares).
    const perPair = results.flatMap((r) => r.perPair);
    perPair.forEach((sent, i) => {
      (nodes[senderNode[i] as number] as NodeRun).sent += sent;
    });
    const seqs = await lastSeqs(nodes[0]?.url as string, shares.flat());
    const mismatched = seqs.filter((s, i) => s !== perPair[i]).length;
    const stored = seqs.reduce((a, b) => a + b, 0);
    const sizes = await db.sizes();
    const measuredMsgs = Math.max(1, sum(results.map((r) => r.measuredDelivered)));
    const result = summarizeCluster(args, count, procs, results, nodes, {
      postgres: {
        walBytesPerMsg: (walTo - walFrom) / measuredMsgs,
        messageBytesPerMsg: sizes.messages / Math.max(1, stored),
        databaseBytesPerMsg: sizes.database / Math.max(1, stored),
      },
      stored,
      mismatched,
      cpu: {
        nodes: sum(nodes.map((n) => n.cpuSeconds)),
        postgres: to.postgres - from.postgres,
        nats: to.nats - from.nats,
        generator: to.generator - from.generator,
        machine: to.machine - from.machine,
      },
    });
    print(report, result);
    report.json(result);
    return result;
  } finally {
    await workers?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await db.drop();
  }
}

function summarizeCluster(
  args: BenchArgs,
  count: number,
  procs: number,
  results: WorkerResult[],
  nodes: NodeRun[],
  s: {
    stored: number;
    mismatched: number;
    cpu: ClusterResult["cpu"];
    postgres: ClusterResult["postgres"];
  },
): ClusterResult {
  const total = (f: (r: WorkerResult) => number) => sum(results.map(f));
  const errors: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const submitted = total((r) => r.submitted);
  const received = total((r) => r.received);
  const delivered = total((r) => r.delivered);
  const acked = total((r) => r.acked);
  const doubles = total((r) => r.doubles);
  const measured = Math.max(
    1,
    total((r) => r.measuredDelivered),
  );
  const per1000 = (cpu: number) => (cpu / measured) * 1000;
  return {
    bench: "messaging-cluster",
    nodes: count,
    driver: args.raw ? "raw" : "sdk",
    pairs: args.pairs,
    window: args.window,
    rate: args.rate,
    procs,
    duration: args.duration,
    msgsPerSec: total((r) => r.measuredDelivered) / args.duration,
    latencyMs: summarize(results.map((r) => r.latencies)),
    submitted,
    acked,
    delivered,
    received,
    doubles,
    lost: submitted - received,
    stored: s.stored,
    ok:
      submitted === received &&
      doubles === 0 &&
      acked === submitted &&
      delivered === submitted &&
      s.mismatched === 0 &&
      results.every((r) => r.drained),
    perNode: nodes,
    cost: {
      nodes: per1000(s.cpu.nodes),
      perNode: nodes.map((n) => per1000(n.cpuSeconds)),
      postgres: per1000(s.cpu.postgres),
      nats: per1000(s.cpu.nats),
      generator: per1000(s.cpu.generator),
    },
    cpu: s.cpu,
    postgres: s.postgres,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    errors,
  };
}

function print(report: Report, r: ClusterResult): void {
  const l = r.latencyMs;
  const secs = (x: number) => `${x.toFixed(1)} s`;
  const cost = (x: number) => `${x.toFixed(3)} CPU s`;
  report.line();
  report.line(
    `Result (${r.nodes} node(s), ${os.cpus().length} cores, Node ${process.versions.node})`,
  );
  const rows: Array<[string, string]> = [
    ["end to end", `${int(r.msgsPerSec)} msgs/s (send -> delivered receipt at the sender)`],
    [
      "round trip",
      `p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (${int(l.count)} samples)`,
    ],
  ];
  for (const n of r.perNode) {
    rows.push([
      `node ${n.index}`,
      `${int(n.connections)} connections, ${int(n.sent)} messages from its senders; ` +
        `CPU ${secs(n.cpuSeconds)} = ${(n.cpuSeconds / r.duration).toFixed(2)} cores; ` +
        `RSS ${mib(n.rssIdle)} idle, ${mib(n.rssOnline)} online, ${mib(n.rssPeak)} peak, ${mib(n.rssAfter)} after`,
    ]);
  }
  rows.push(
    [
      "CPU in the window",
      `nodes ${secs(r.cpu.nodes)}, PostgreSQL ${secs(r.cpu.postgres)}, NATS ${secs(r.cpu.nats)}, ` +
        `generator ${secs(r.cpu.generator)}, whole machine ${secs(r.cpu.machine)}`,
    ],
    [
      "per 1,000 msgs",
      `nodes ${cost(r.cost.nodes)} (${r.cost.perNode.map((x) => x.toFixed(3)).join(" + ")}), ` +
        `PostgreSQL ${cost(r.cost.postgres)}, NATS ${cost(r.cost.nats)}, generator ${cost(r.cost.generator)}`,
    ],
    [
      "PostgreSQL bytes",
      `WAL ${int(r.postgres.walBytesPerMsg)} B per message (server-wide: an upper bound); ` +
        `messages table + indexes ${int(r.postgres.messageBytesPerMsg)} B, whole database ${int(r.postgres.databaseBytesPerMsg)} B per stored message`,
    ],
    [
      "correctness",
      `${int(r.submitted)} sent, ${int(r.acked)} acked, ${int(r.delivered)} delivered receipts, ` +
        `${int(r.received)} received once, ${r.doubles} doubled, ${r.lost} lost, ${int(r.stored)} stored`,
    ],
    ["load average", r.loadavg.join(" ")],
    ["errors", Object.keys(r.errors).length === 0 ? "none" : JSON.stringify(r.errors)],
    [
      "verdict",
      r.ok
        ? "OK: every message acked, stored, and delivered exactly once"
        : "FAILED: see counts above",
    ],
  );
  report.table(rows);
}

/** CPU seconds so far of each node, of every PostgreSQL and NATS process, the generator, the machine. */
function sampleAll(nodes: NodeRun[], workerPids: number[]) {
  return {
    nodes: nodes.map((n) => sampleProc(n.pid).cpu),
    postgres: sampleProcs(pidsNamed("postgres")).cpu,
    nats: sampleProcs(pidsNamed("nats-server")).cpu,
    generator: sampleProcs(workerPids).cpu,
    machine: machineBusySeconds(),
  };
}

/** Pids whose command name (/proc/<pid>/comm) is `name`. PostgreSQL: every backend and helper. */
function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Contiguous blocks of pairs per worker (as the single-node bench splits them). */
function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < parts; i++) out.push(items.slice(i * size, (i + 1) * size));
  return out.filter((s) => s.length > 0);
}

/** A fresh database for the run on the admin server, dropped (FORCE) at the end. */
async function freshDatabase() {
  const name = `courier_bench_${randomBytes(5).toString("hex")}`;
  const run = async (connectionString: string, sql: string) => {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, string>>;
    } finally {
      await client.end();
    }
  };
  await run(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    /** The server's WAL position, bytes. */
    wal: async () =>
      Number((await run(adminUrl, "SELECT pg_current_wal_lsn() - '0/0' AS b"))[0]?.b ?? 0),
    /** On-disk bytes of the messages table (with indexes and TOAST) and of the whole database. */
    sizes: async () => {
      const [row] = await run(
        url.toString(),
        `SELECT pg_total_relation_size('messages') AS m, pg_database_size(current_database()) AS d`,
      );
      return { messages: Number(row?.m ?? 0), database: Number(row?.d ?? 0) };
    },
    drop: () => run(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}),
  };
}

/** Worker side: the messaging load, each client opened on the node the coordinator assigned. */
function runWorker(): void {
  let load: MessagingLoad | undefined;
  const post = (m: FromWorker) => process.send?.(m);
  process.on("message", (message: ClusterToWorker) => {
    try {
      switch (message.type) {
        case "cluster-messaging": {
          const { setup, nodeOf } = message;
          const drivers = new Map<string, Driver>();
          const driverFor = (url: string): Driver => {
            let driver = drivers.get(url);
            if (!driver) {
              const target = { url, localAddress: setup.localAddress };
              driver =
                setup.driver === "raw"
                  ? rawDriver(target)
                  : sdkDriver(target, { sendWindow: Math.max(32, setup.window) });
              drivers.set(url, driver);
            }
            return driver;
          };
          const driver: Driver = {
            name: setup.driver,
            open: (session, hooks) =>
              driverFor(nodeOf[session.user.id] ?? setup.url).open(session, hooks),
          };
          load = new MessagingLoad(driver, setup, post);
          break;
        }
        case "start":
          load?.start(message);
          break;
        case "stop":
          load?.close();
          setTimeout(() => process.exit(0), 200);
          break;
      }
    } catch (err) {
      post({ type: "failed", message: String((err as Error).stack ?? err) });
    }
  });
  process.on("disconnect", () => process.exit(0));
}

if (process.env[workerFlag] === "1") runWorker();
