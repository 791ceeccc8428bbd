/** Human-readable lines (suppressed by --quiet) and the final JSON line for scripts. */
export class Report {
  readonly #quiet: boolean;

  constructor(quiet: boolean) {
    this.#quiet = quiet;
  }

  line(text = ""): void {
    if (!this.#quiet) console.log(text);
  }

  /** Progress on stderr, so a pipe into a JSON reader sees only results. */
  progress(text: string): void {
    if (!this.#quiet) console.error(`  .. ${text}`);
  }

  table(rows: Array<[string, string]>): void {
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) this.line(`  ${k.padEnd(width)}  ${v}`);
  }

  json(value: unknown): void {
    console.log(JSON.stringify(value));
  }
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const int = (n: number) => Math.round(n).toLocaleString("en-US");
export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
/** Cores per thread name, busiest first: `MainThread 0.81, WorkerThread 0.30`. */
export const cores = (perThread: Record<string, number>) =>
  Object.entries(perThread)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n.toFixed(2)}`)
    .join(", ");
