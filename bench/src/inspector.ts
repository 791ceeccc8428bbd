import WebSocket from "ws";

/**
 * A minimal Chrome DevTools Protocol client for a server started with `--inspect`: the bench
 * uses it to force a full GC in the server and read `process.memoryUsage()` without any code
 * in the server for it.
 */
export class Inspector {
  readonly #ws: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, (result: unknown) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (msg.id === undefined) return;
      const resolve = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      resolve?.(msg.result);
    });
  }

  static connect(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new Inspector(ws)));
      ws.once("error", reject);
    });
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 60 s`)), 60_000);
      this.#pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full, compacting GC (twice: the first frees what finalizers release for the second). */
  async collectGarbage(): Promise<void> {
    await this.call("HeapProfiler.collectGarbage");
    await this.call("HeapProfiler.collectGarbage");
  }

  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    const result = (await this.call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result?: { value?: string } };
    return JSON.parse(result.result?.value ?? "{}") as NodeJS.MemoryUsage;
  }

  /** Starts the V8 sampling profiler (100 µs interval). */
  async startProfile(): Promise<void> {
    await this.call("Profiler.enable");
    await this.call("Profiler.setSamplingInterval", { interval: 100 });
    await this.call("Profiler.start");
  }

  /** Stops the profiler and returns the profile (the `.cpuprofile` JSON format). */
  async stopProfile(): Promise<unknown> {
    const result = (await this.call("Profiler.stop")) as { profile?: unknown };
    return result.profile;
  }

  close(): void {
    this.#ws.close();
  }
}
