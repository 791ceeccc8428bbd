/**
 * The server's own pauses over a measured window: its garbage collections and how late its event
 * loop ran, read from its `/metrics` (prom-client's default Node metrics). A latency tail often
 * starts as a pause of the server's event loop; printed with every run, one shows up at once.
 * (A 113 ms mark-compact pause, most of it marking WeakMap entries, made the open-loop p99 at
 * 2,000 msgs/s until the fourth session, and took a manual trace to find.)
 */

/**
 * The server samples its event loop every 10 ms (prom-client's default eventLoopMonitoringPrecision,
 * which the server keeps), and Node records the whole interval between two samples: a loop that
 * was never late reads 10 ms. The delay is what lies beyond that.
 */
const sampledEveryMs = 10;

/** GC counts by kind (`minor`, `major`, `incremental`, `weakcb`), as the server's histogram holds them. */
export interface GcCounts {
  [kind: string]: { count: number; seconds: number; over10ms: number; over100ms: number };
}

export interface Pauses {
  /** Collections during the window, by kind. */
  gc: GcCounts;
  /** How late the event loop ran, over the window (prom-client resets its histogram at every scrape). */
  loopDelayMs: { p99: number; max: number };
}

/** Reads the GC histogram and the event-loop delay out of a Prometheus text exposition. */
export function parsePauses(text: string): Pauses {
  const gc: GcCounts = {};
  const kindOf = (kind: string) => {
    gc[kind] ??= { count: 0, seconds: 0, over10ms: 0, over100ms: 0 };
    return gc[kind];
  };
  const below = new Map<string, { le10ms: number; le100ms: number }>();
  let p99 = Number.NaN;
  let max = Number.NaN;
  for (const line of text.split("\n")) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const [, name, labelText = "", valueText = ""] = m;
    const value = Number(valueText);
    const labels = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    const kind = labels.kind ?? "";
    if (name === "nodejs_gc_duration_seconds_count") kindOf(kind).count = value;
    else if (name === "nodejs_gc_duration_seconds_sum") kindOf(kind).seconds = value;
    else if (name === "nodejs_gc_duration_seconds_bucket") {
      const b = below.get(kind) ?? { le10ms: 0, le100ms: 0 };
      if (labels.le === "0.01") b.le10ms = value;
      if (labels.le === "0.1") b.le100ms = value;
      below.set(kind, b);
    } else if (name === "nodejs_eventloop_lag_p99_seconds") p99 = lateMs(value);
    else if (name === "nodejs_eventloop_lag_max_seconds") max = lateMs(value);
  }
  for (const [kind, b] of below) {
    const k = kindOf(kind);
    k.over10ms = k.count - b.le10ms;
    k.over100ms = k.count - b.le100ms;
  }
  return { gc, loopDelayMs: { p99, max } };
}

function lateMs(intervalSeconds: number): number {
  return Math.max(0, intervalSeconds * 1000 - sampledEveryMs);
}

/** What happened between two readings: GC counts subtract; the loop delay is the later reading's. */
export function pausesBetween(from: Pauses, to: Pauses): Pauses {
  const gc: GcCounts = {};
  for (const [kind, t] of Object.entries(to.gc)) {
    const f = from.gc[kind] ?? { count: 0, seconds: 0, over10ms: 0, over100ms: 0 };
    gc[kind] = {
      count: t.count - f.count,
      seconds: t.seconds - f.seconds,
      over10ms: t.over10ms - f.over10ms,
      over100ms: t.over100ms - f.over100ms,
    };
  }
  return { gc, loopDelayMs: to.loopDelayMs };
}

/** One reading of the server's pauses; undefined if its metrics cannot be read. */
export async function readPauses(serverUrl: string): Promise<Pauses | undefined> {
  try {
    const res = await fetch(`${serverUrl}/metrics`);
    if (!res.ok) return undefined;
    return parsePauses(await res.text());
  } catch {
    return undefined;
  }
}

/** "minor 41 (0.31 s, 9 over 10 ms), major 3 (0.02 s); event loop delay p99 11 ms, max 36 ms" */
export function describePauses(p: Pauses): string {
  const kinds = ["minor", "major"].map((kind) => {
    const k = p.gc[kind] ?? { count: 0, seconds: 0, over10ms: 0, over100ms: 0 };
    const long = [
      k.over10ms > 0 ? `${k.over10ms} over 10 ms` : "",
      k.over100ms > 0 ? `${k.over100ms} over 100 ms` : "",
    ].filter((s) => s !== "");
    return `${kind} ${k.count} (${k.seconds.toFixed(2)} s${long.length > 0 ? `, ${long.join(", ")}` : ""})`;
  });
  const { p99, max } = p.loopDelayMs;
  return `GC ${kinds.join(", ")}; event loop delay p99 ${p99.toFixed(0)} ms, max ${max.toFixed(0)} ms`;
}
