import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BenchPair, createPairs, lastSeqs } from "./accounts.ts";
import type { BenchArgs } from "./args.ts";
import { describeEpisodes, type Episodes, findEpisodes } from "./episodes.ts";
import type { WorkerResult } from "./ipc.ts";
import { describePauses, type Pauses, pausesBetween, readPauses } from "./pauses.ts";
import { sleep } from "./pool.ts";
import {
  machineBusySeconds,
  type ProcSample,
  runQueueWait,
  sampleProc,
  sampleProcs,
  type ThreadTimes,
  threadCores,
  threadTimes,
} from "./proc.ts";
import { cores, int, mib, ms, Report } from "./report.ts";
import { type LatencySummary, summarize } from "./samples.ts";
import { diagnosticOptions, type ServerHandle, startServer } from "./server.ts";
import { generatorProcs, WorkerPool } from "./workers.ts";

export interface MessagingResult {
  bench: "messaging";
  driver: "sdk" | "raw";
  mode: "closed" | "open";
  pairs: number;
  window: number;
  /** Open loop: the target rate, msgs/s. */
  rate: number;
  procs: number;
  /** Server and workers ran with a raised scheduler priority (`--boost`). */
  boost: boolean;
  duration: number;
  /** Delivered receipts per second inside the measured window (end to end). */
  msgsPerSec: number;
  latencyMs: LatencySummary;
  /** Whether the slow round trips came in episodes of send time (see episodes.ts). */
  tail: Episodes;
  submitted: number;
  acked: number;
  delivered: number;
  received: number;
  doubles: number;
  lost: number;
  skipped: number;
  /** Messages the server holds for the bench's conversations (sum of last seqs), -1 if unchecked. */
  stored: number;
  ok: boolean;
  server: {
    pid: number | undefined;
    rssBefore: number;
    rssAfter: number;
    rssPeak: number;
    cpuSeconds: number;
    cpuCores: number;
    /** Server CPU per delivered message in the window, µs: independent of other load on the machine. */
    cpuUsPerMsg: number;
    /** Cores per thread name: the event loop is `MainThread`, the SQLite writer `WorkerThread`. */
    threads: Record<string, number>;
    /** Per thread name, the part of `threads` spent in the kernel. */
    threadSystem: Record<string, number>;
    /** Per thread name, the cores' worth of time it was runnable but waiting for a CPU. */
    threadWaits: Record<string, number>;
  } | null;
  /** The server's GC pauses and event-loop delay over the window (from its /metrics). */
  serverPauses: Pauses | null;
  generator: {
    cpuSeconds: number;
    cpuCores: number;
    cpuUsPerMsg: number;
    /** The part of `cpuCores` spent in the kernel. */
    systemCores: number;
    /** Cores' worth of time the generator's threads were runnable but waiting for a CPU. */
    waitCores: number;
    rss: number;
  };
  /** CPU cores busy with anything but the server and the generator during the window (other load). */
  otherCores: number;
  /** /proc/loadavg at the end. */
  loadavg: number[];
  errors: Record<string, number>;
}

/** The default scenario: N pairs, send → delivered receipt round trips, closed or open loop. */
export async function runMessaging(args: BenchArgs): Promise<MessagingResult> {
  const report = new Report(args.quiet);
  const mode = args.rate > 0 ? "open" : "closed";
  report.line(
    `Courier messaging bench: ${args.pairs} pairs, ${mode === "closed" ? `window ${args.window}` : `${int(args.rate)} msgs/s paced`}, ` +
      `${args.duration} s (+${args.warmup} s warm-up), ${args.procs} worker processes, driver ${args.raw ? "raw protocol" : "SDK"}` +
      (args.boost ? ", boosted priority" : ""),
  );
  let server: ServerHandle | undefined;
  let pool: WorkerPool | undefined;
  try {
    server = args.target
      ? {
          url: args.target.replace(/\/+$/, ""),
          pid: undefined,
          inspector: undefined,
          stop: async () => {},
        }
      : await startServer({
          inspect: args.serverProfile !== "",
          boost: args.boost,
          ...diagnosticOptions(args),
        });
    report.progress(`server ${server.url}${server.pid ? ` (pid ${server.pid})` : ""}`);
    const t = Date.now();
    const pairs = await createPairs(server.url, args.pairs);
    report.progress(
      `registered ${int(args.pairs * 2)} users and ${int(args.pairs)} conversations in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );

    const procs = generatorProcs(args, 2 * args.pairs);
    pool = new WorkerPool(procs, {
      boost: args.boost,
      ...(args.workerProfile ? { profileDir: args.workerProfile } : {}),
    });
    const shares = split(pairs, procs);
    shares.forEach((share, i) => {
      pool?.send(i, {
        type: "messaging",
        url: server?.url as string,
        localAddress: WorkerPool.localAddress(i),
        driver: args.raw ? "raw" : "sdk",
        pairs: share,
        window: args.window,
        rate: (args.rate * share.length) / args.pairs,
        size: args.size,
      });
    });
    const t1 = Date.now();
    await pool.waitOnline(args.pairs * 2, 120_000);
    report.progress(
      `${int(args.pairs * 2)} clients online in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
    await sleep(500);

    const pid = server.pid;
    const before = pid ? sampleProc(pid) : undefined;
    let peak = before?.rss ?? 0;
    const sampler = setInterval(() => {
      if (pid) peak = Math.max(peak, sampleProc(pid).rss);
    }, 250);
    const startAt = Date.now() + 300;
    const measureFrom = startAt + args.warmup * 1000;
    const measureTo = measureFrom + args.duration * 1000;
    pool.broadcast({ type: "start", startAt, measureFrom, measureTo, drainMs: 15_000 });
    report.progress(`running: warm-up ${args.warmup} s, then ${args.duration} s measured`);
    await sleep(measureFrom - Date.now());
    await server.inspector?.startProfile();
    const pausesFrom = await readPauses(server.url);
    const serverFrom = pid ? sampleProc(pid) : undefined;
    const threadsFrom = pid ? threadTimes(pid) : undefined;
    const genFrom = sampleProcs(pool.pids);
    const genWaitFrom = runQueueWait(pool.pids);
    const machineFrom = machineBusySeconds();
    await sleep(measureTo - Date.now());
    const serverTo = pid ? sampleProc(pid) : undefined;
    const threadsTo = pid ? threadTimes(pid) : undefined;
    const genTo = sampleProcs(pool.pids);
    const genWait = runQueueWait(pool.pids) - genWaitFrom;
    const machineBusy = machineBusySeconds() - machineFrom;
    const pausesTo = await readPauses(server.url);
    if (server.inspector) {
      const file = await saveProfile(args.serverProfile, await server.inspector.stopProfile());
      report.progress(`server CPU profile of the measured window: ${file}`);
    }
    clearInterval(sampler);
    report.progress("draining: waiting for every message in flight");
    const results = await pool.results(30_000);
    const after = pid ? sampleProc(pid) : undefined;

    /** One of the thread times over the window, in cores per thread name. */
    const perThread = (times: keyof ThreadTimes) =>
      threadsFrom && threadsTo
        ? threadCores(threadsFrom[times], threadsTo[times], args.duration)
        : {};
    const stored = await checkStored(server.url, shares, results);
    const result = summarizeRun(args, mode, procs, results, stored, {
      pid,
      before,
      after,
      peak,
      serverFrom,
      serverTo,
      genCpu: genTo.cpu - genFrom.cpu,
      genSystem: genTo.system - genFrom.system,
      genWait,
      genRss: genTo.rss,
      machineBusy,
      threads: perThread("cpu"),
      threadSystem: perThread("system"),
      threadWaits: perThread("waited"),
      pauses: pausesFrom && pausesTo ? pausesBetween(pausesFrom, pausesTo) : null,
    });
    print(report, result);
    report.json(result);
    return result;
  } finally {
    await pool?.stop();
    await server?.stop();
  }
}

/** Writes a profile taken through the inspector where `--server-profile` said. */
async function saveProfile(dir: string, profile: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `server-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`,
  );
  await writeFile(file, JSON.stringify(profile));
  return file;
}

/** Contiguous blocks of pairs per worker. */
function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < parts; i++) out.push(items.slice(i * size, (i + 1) * size));
  return out.filter((s) => s.length > 0);
}

/** Sum of the conversations' last seqs on the server, checked pair by pair against what was sent. */
async function checkStored(url: string, shares: BenchPair[][], results: WorkerResult[]) {
  const pairs = shares.flat();
  const expected = results.flatMap((r) => r.perPair);
  const seqs = await lastSeqs(url, pairs);
  const mismatched = seqs.filter((s, i) => s !== expected[i]).length;
  return { total: seqs.reduce((a, b) => a + b, 0), mismatched };
}

function summarizeRun(
  args: BenchArgs,
  mode: "closed" | "open",
  procs: number,
  results: WorkerResult[],
  stored: { total: number; mismatched: number },
  s: {
    pid: number | undefined;
    before: ProcSample | undefined;
    after: ProcSample | undefined;
    peak: number;
    serverFrom: ProcSample | undefined;
    serverTo: ProcSample | undefined;
    genCpu: number;
    genSystem: number;
    genWait: number;
    genRss: number;
    machineBusy: number;
    threads: Record<string, number>;
    threadSystem: Record<string, number>;
    threadWaits: Record<string, number>;
    pauses: Pauses | null;
  },
): MessagingResult {
  const sum = (f: (r: WorkerResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const errors: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const submitted = sum((r) => r.submitted);
  const received = sum((r) => r.received);
  const delivered = sum((r) => r.delivered);
  const acked = sum((r) => r.acked);
  const doubles = sum((r) => r.doubles);
  const lost = submitted - received;
  const serverCpu = s.serverFrom && s.serverTo ? s.serverTo.cpu - s.serverFrom.cpu : 0;
  const measured = Math.max(
    1,
    sum((r) => r.measuredDelivered),
  );
  return {
    bench: "messaging",
    driver: args.raw ? "raw" : "sdk",
    mode,
    pairs: args.pairs,
    window: args.window,
    rate: args.rate,
    procs,
    boost: args.boost,
    duration: args.duration,
    msgsPerSec: sum((r) => r.measuredDelivered) / args.duration,
    latencyMs: summarize(results.map((r) => r.latencies)),
    tail: findEpisodes(results),
    submitted,
    acked,
    delivered,
    received,
    doubles,
    lost,
    skipped: sum((r) => r.skipped),
    stored: stored.total,
    ok:
      lost === 0 &&
      doubles === 0 &&
      acked === submitted &&
      delivered === submitted &&
      stored.mismatched === 0 &&
      results.every((r) => r.drained),
    server: s.before
      ? {
          pid: s.pid,
          rssBefore: s.before.rss,
          rssAfter: s.after?.rss ?? 0,
          rssPeak: s.peak,
          cpuSeconds: serverCpu,
          cpuCores: serverCpu / args.duration,
          cpuUsPerMsg: (serverCpu / measured) * 1e6,
          threads: s.threads,
          threadSystem: s.threadSystem,
          threadWaits: s.threadWaits,
        }
      : null,
    serverPauses: s.pauses,
    generator: {
      cpuSeconds: s.genCpu,
      cpuCores: s.genCpu / args.duration,
      cpuUsPerMsg: (s.genCpu / measured) * 1e6,
      systemCores: s.genSystem / args.duration,
      waitCores: s.genWait / args.duration,
      rss: s.genRss,
    },
    otherCores: Math.max(0, (s.machineBusy - serverCpu - s.genCpu) / args.duration),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    errors,
  };
}

function print(report: Report, r: MessagingResult): void {
  const l = r.latencyMs;
  report.line();
  report.line(`Result (${os.cpus().length} cores, Node ${process.versions.node})`);
  report.table([
    ["end to end", `${int(r.msgsPerSec)} msgs/s (send -> delivered receipt at the sender)`],
    [
      "round trip",
      `p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (${int(l.count)} samples)`,
    ],
    // A closed loop keeps every sender's window full, so its round trips say nothing of episodes.
    ...(r.mode === "open" ? [["tail", describeEpisodes(r.tail)] as [string, string]] : []),
    [
      "server",
      r.server
        ? `RSS ${mib(r.server.rssBefore)} before, ${mib(r.server.rssAfter)} after, ${mib(r.server.rssPeak)} peak; ` +
          `CPU ${r.server.cpuSeconds.toFixed(1)} s = ${r.server.cpuCores.toFixed(2)} cores, ${int(r.server.cpuUsPerMsg)} µs per message`
        : "n/a (--target: pid unknown)",
    ],
    [
      "server threads",
      r.server
        ? `${cores(r.server.threads)} cores` +
          (Object.keys(r.server.threadSystem).length > 0
            ? `; in the kernel: ${cores(r.server.threadSystem)}`
            : "") +
          (Object.keys(r.server.threadWaits).length > 0
            ? `; waiting for a CPU: ${cores(r.server.threadWaits)}`
            : "")
        : "n/a",
    ],
    ["server pauses", r.serverPauses ? describePauses(r.serverPauses) : "n/a (no /metrics)"],
    [
      "generator",
      `CPU ${r.generator.cpuSeconds.toFixed(1)} s = ${r.generator.cpuCores.toFixed(2)} cores ` +
        `(${r.generator.systemCores.toFixed(2)} in the kernel) over ${r.procs} processes, ` +
        `${int(r.generator.cpuUsPerMsg)} µs per message, ${r.generator.waitCores.toFixed(2)} cores waiting for a CPU; ` +
        `RSS ${mib(r.generator.rss)}`,
    ],
    [
      "correctness",
      `${int(r.submitted)} sent, ${int(r.acked)} acked, ${int(r.delivered)} delivered receipts, ` +
        `${int(r.received)} received once, ${r.doubles} doubled, ${r.lost} lost, ${int(r.stored)} stored on the server` +
        (r.skipped > 0 ? `, ${int(r.skipped)} sends skipped (pair over 1000 in flight)` : ""),
    ],
    [
      "other load",
      `${r.otherCores.toFixed(2)} cores busy with other processes during the window; load average ${r.loadavg.join(" ")}`,
    ],
    ["errors", Object.keys(r.errors).length === 0 ? "none" : JSON.stringify(r.errors)],
    [
      "verdict",
      r.ok
        ? "OK: every message acked, stored, and delivered exactly once"
        : "FAILED: see counts above",
    ],
  ]);
}
