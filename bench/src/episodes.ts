/**
 * Whether an open loop's slow round trips come in episodes or are spread evenly. The p99 alone
 * cannot tell: at 6,000 msgs/s on a slow machine, with p50 7 ms and p99 140 ms, the messages
 * over 50 ms were not one in twenty of every moment's traffic but nearly all the messages sent
 * during ~100 – 200 ms stretches, about one a second, each one the traffic that queued behind a
 * late writer batch. An episode points at a pause or a cascade to look for; an even spread at
 * a queue that is simply too full.
 */

/** One worker's samples: round trips (µs) and, in the same order, when each was sent. */
export interface TimedSamples {
  latencies: Uint32Array;
  /** µs after the start of the measured window. */
  sentUs: Uint32Array;
}

export interface Episodes {
  /** Length of the send-time windows, ms. */
  windowMs: number;
  /** The round trip a window's median must exceed to count as slow, ms. */
  slowMs: number;
  /** Windows that held at least one sample. */
  windows: number;
  /** Windows whose median round trip exceeded `slowMs`. */
  slowWindows: number;
  /** Samples over `slowMs`, and how many of them were sent during a slow window. */
  overSlow: number;
  overSlowInSlowWindows: number;
  /** The window with the highest median: its start (s into the measured window) and median (ms). */
  worst: { atS: number; medianMs: number } | null;
}

/** Groups the samples of every worker into `windowMs` windows of send time. */
export function findEpisodes(parts: TimedSamples[], windowMs = 100, slowMs = 50): Episodes {
  const byWindow = new Map<number, number[]>();
  const slowUs = slowMs * 1000;
  let overSlow = 0;
  for (const { latencies, sentUs } of parts) {
    for (let i = 0; i < latencies.length; i++) {
      const window = Math.floor((sentUs[i] as number) / 1000 / windowMs);
      const latency = latencies[i] as number;
      let list = byWindow.get(window);
      if (list === undefined) {
        list = [];
        byWindow.set(window, list);
      }
      list.push(latency);
      if (latency > slowUs) overSlow++;
    }
  }
  let slowWindows = 0;
  let overSlowInSlowWindows = 0;
  let worst: Episodes["worst"] = null;
  for (const [window, list] of byWindow) {
    list.sort((a, b) => a - b);
    const median = list[(list.length - 1) >> 1] as number;
    if (worst === null || median / 1000 > worst.medianMs) {
      worst = { atS: (window * windowMs) / 1000, medianMs: median / 1000 };
    }
    if (median <= slowUs) continue;
    slowWindows++;
    for (const v of list) if (v > slowUs) overSlowInSlowWindows++;
  }
  return {
    windowMs,
    slowMs,
    windows: byWindow.size,
    slowWindows,
    overSlow,
    overSlowInSlowWindows,
    worst,
  };
}

/** One line for the report. */
export function describeEpisodes(e: Episodes): string {
  if (e.windows === 0) return "no samples";
  const share = e.overSlow === 0 ? 0 : (100 * e.overSlowInSlowWindows) / e.overSlow;
  const worst = e.worst
    ? `; worst median ${e.worst.medianMs.toFixed(1)} ms, sent at ${e.worst.atS.toFixed(1)} s`
    : "";
  return (
    `${e.slowWindows} of ${e.windows} windows of ${e.windowMs} ms had a median over ${e.slowMs} ms, ` +
    `holding ${share.toFixed(0)}% of the ${e.overSlow.toLocaleString("en-US")} round trips over ${e.slowMs} ms${worst}`
  );
}
