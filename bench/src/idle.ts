import { registerUsers } from "./accounts.ts";
import type { BenchArgs } from "./args.ts";
import type { Inspector } from "./inspector.ts";
import { sleep } from "./pool.ts";
import { sampleProc, sampleProcs } from "./proc.ts";
import { int, mib, Report } from "./report.ts";
import { diagnosticOptions, type ServerHandle, startServer } from "./server.ts";
import { generatorProcs, WorkerPool } from "./workers.ts";

export interface IdleResult {
  bench: "idle";
  driver: "sdk" | "raw";
  connections: number;
  procs: number;
  /** How the memory was taken: after a forced full GC via the inspector, or steady state only. */
  method: "forced-gc" | "steady-state";
  server: {
    rssBase: number;
    rssLoaded: number;
    /** (rssLoaded - rssBase) / connections */
    bytesPerConnection: number;
    /** RSS delta per connection without forcing a GC (after the settle period). */
    steadyBytesPerConnection: number;
    /** V8 heap (used) and external/array buffer memory deltas per connection, when the inspector is there. */
    heapBytesPerConnection: number | null;
    externalBytesPerConnection: number | null;
  } | null;
  generator: { rss: number; bytesPerConnection: number };
  secondsToOnline: number;
}

/**
 * Idle memory: N authenticated SDK connections that do nothing, spread over worker processes
 * and source addresses. The server is started with `--inspect` on loopback so that the bench
 * can force full GCs before both readings (baseline with the users registered, then with every
 * connection online), which takes garbage out of the figure.
 */
export async function runIdle(args: BenchArgs): Promise<IdleResult> {
  const report = new Report(args.quiet);
  const n = args.connections;
  report.line(
    `Courier idle bench: ${int(n)} idle authenticated connections over ${args.procs} worker processes`,
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
          inspect: true,
          boost: args.boost,
          ...diagnosticOptions(args),
        });
    const t = Date.now();
    const sessions = await registerUsers(server.url, n);
    report.progress(`registered ${int(n)} users in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    // Let the registration's keep-alive HTTP connections time out before the baseline.
    await sleep(6000);
    const pid = server.pid;
    const inspector = server.inspector;
    const base = pid ? await measure(pid, inspector) : undefined;

    const procs = generatorProcs(args, n);
    pool = new WorkerPool(procs, {
      boost: args.boost,
      ...(args.workerProfile ? { profileDir: args.workerProfile } : {}),
    });
    const size = Math.ceil(n / procs);
    for (let i = 0; i < procs; i++) {
      pool.send(i, {
        type: "idle",
        url: server.url,
        localAddress: WorkerPool.localAddress(i),
        driver: args.raw ? "raw" : "sdk",
        sessions: sessions.slice(i * size, (i + 1) * size),
      });
    }
    const t1 = Date.now();
    let lastShown = 0;
    await pool.waitOnline(n, 600_000, (online) => {
      if (Date.now() - lastShown > 2000) {
        lastShown = Date.now();
        report.progress(`${int(online)} online`);
      }
    });
    const secondsToOnline = (Date.now() - t1) / 1000;
    report.progress(
      `${int(n)} connections online in ${secondsToOnline.toFixed(1)} s; settling ${args.settle} s`,
    );
    await sleep(args.settle * 1000);
    const steady = pid ? sampleProc(pid).rss : 0;
    const loaded = pid ? await measure(pid, inspector) : undefined;
    const generator = sampleProcs(pool.pids);

    const result: IdleResult = {
      bench: "idle",
      driver: args.raw ? "raw" : "sdk",
      connections: n,
      procs,
      method: inspector ? "forced-gc" : "steady-state",
      server:
        base && loaded
          ? {
              rssBase: base.rss,
              rssLoaded: loaded.rss,
              bytesPerConnection: (loaded.rss - base.rss) / n,
              steadyBytesPerConnection: (steady - base.rss) / n,
              heapBytesPerConnection:
                base.heap !== undefined && loaded.heap !== undefined
                  ? (loaded.heap - base.heap) / n
                  : null,
              externalBytesPerConnection:
                base.external !== undefined && loaded.external !== undefined
                  ? (loaded.external - base.external) / n
                  : null,
            }
          : null,
      generator: { rss: generator.rss, bytesPerConnection: generator.rss / n },
      secondsToOnline,
    };
    report.line();
    report.table([
      [
        "connections",
        `${int(n)} online (${secondsToOnline.toFixed(1)} s to connect and authenticate)`,
      ],
      [
        "server RSS",
        result.server
          ? `${mib(result.server.rssBase)} baseline -> ${mib(result.server.rssLoaded)} with the connections (${result.method})`
          : "n/a (--target: pid unknown)",
      ],
      [
        "per connection",
        result.server
          ? `${int(result.server.bytesPerConnection)} bytes RSS (${int(result.server.steadyBytesPerConnection)} before the forced GC)` +
            (result.server.heapBytesPerConnection !== null
              ? `; V8 heap ${int(result.server.heapBytesPerConnection)} B, external ${int(result.server.externalBytesPerConnection ?? 0)} B`
              : "")
          : "n/a",
      ],
      [
        "generator",
        `RSS ${mib(generator.rss)} (${int(result.generator.bytesPerConnection)} bytes per client)`,
      ],
    ]);
    report.json(result);
    return result;
  } finally {
    await pool?.stop();
    await server?.stop();
  }
}

async function measure(pid: number, inspector: Inspector | undefined) {
  if (inspector === undefined)
    return { rss: sampleProc(pid).rss, heap: undefined, external: undefined };
  await inspector.collectGarbage();
  await sleep(1000);
  const mem = await inspector.memoryUsage();
  return {
    rss: sampleProc(pid).rss,
    heap: mem.heapUsed,
    external: mem.external + mem.arrayBuffers,
  };
}
