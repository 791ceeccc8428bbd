/**
 * Latency samples in microseconds, kept exactly (a growable Uint32Array: 4 bytes a sample, so
 * a million round trips cost 4 MB) and merged across workers for exact percentiles.
 */
export class Samples {
  #data = new Uint32Array(1 << 16);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(ms: number): void {
    if (this.#length === this.#data.length) {
      const grown = new Uint32Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#length++] = Math.max(0, Math.round(ms * 1000));
  }

  /** A copy of the samples, for sending to the coordinator. */
  toArray(): Uint32Array {
    return this.#data.slice(0, this.#length);
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles (ms) over the samples of every worker. */
export function summarize(parts: Uint32Array[]): LatencySummary {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint32Array(total);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  all.sort();
  const at = (q: number) =>
    total === 0 ? 0 : (all[Math.min(total - 1, Math.ceil(q * total) - 1)] as number) / 1000;
  let sum = 0;
  for (const v of all) sum += v;
  return {
    count: total,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: total === 0 ? 0 : (all[total - 1] as number) / 1000,
    mean: total === 0 ? 0 : sum / total / 1000,
  };
}
