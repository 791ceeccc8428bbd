import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./nats.ts";

/**
 * A Courier cluster on loopback for tests: N nodes, each a real child process
 * (`node packages/server/src/main.ts`, the same entry point as `npm start`), so that kill -9 is a
 * real crash. Optionally HAProxy in front, with `deploy/haproxy.cfg` (the very file compose uses).
 */

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const mainTs = path.join(root, "packages/server/src/main.ts");
const haproxyCfg = path.join(root, "deploy/haproxy.cfg");

export interface ClusterOptions {
  nodes: number;
  databaseUrl: string;
  natsUrl: string;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** Put HAProxy in front (if the binary is installed; see `haproxyBinary`). */
  loadBalancer?: boolean;
}

export class CourierNode {
  readonly index: number;
  readonly port: number;
  readonly #env: Record<string, string>;
  #child: ChildProcess | undefined;
  #output = "";

  constructor(index: number, port: number, env: Record<string, string>) {
    this.index = index;
    this.port = port;
    this.#env = env;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && !this.#child.killed;
  }

  /** The last few KB the node printed, for failure messages. */
  get output(): string {
    return this.#output.slice(-4000);
  }

  async start(): Promise<void> {
    // process.execPath is the Node 24 running this test (npx node); the child runs the same.
    const child = spawn(process.execPath, [mainTs], {
      env: { ...process.env, ...this.#env, PORT: String(this.port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-16_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const deadline = Date.now() + 20_000;
    while (!(await this.healthy())) {
      if (child.exitCode !== null) {
        throw new Error(`node ${this.index} exited (${child.exitCode}):\n${this.output}`);
      }
      if (Date.now() > deadline)
        throw new Error(`node ${this.index} did not start:\n${this.output}`);
      await sleep(100);
    }
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** kill -9: no shutdown code runs, sockets are reset by the kernel. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  /** SIGTERM: the graceful shutdown path. */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    const timeout = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timeout);
  }
}

export class Cluster {
  readonly nodes: CourierNode[];
  readonly #dataDir: string;
  #haproxy: ChildProcess | undefined;
  lbPort: number | undefined;

  private constructor(nodes: CourierNode[], dataDir: string) {
    this.nodes = nodes;
    this.#dataDir = dataDir;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const dataDir = await mkdtemp(path.join(tmpdir(), "courier-cluster-"));
    const nodes: CourierNode[] = [];
    for (let i = 0; i < options.nodes; i++) {
      nodes.push(
        new CourierNode(i, await freePort(), {
          COURIER_DATABASE_URL: options.databaseUrl,
          COURIER_NATS_URL: options.natsUrl,
          COURIER_DATA_DIR: path.join(dataDir, `node${i}`),
          COURIER_ARGON2_MEMORY_KIB: "1024",
          COURIER_ARGON2_TIME_COST: "1",
          COURIER_LOG_LEVEL: "warn",
          ...options.env,
        }),
      );
    }
    const cluster = new Cluster(nodes, dataDir);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      if (options.loadBalancer) await cluster.#startHaproxy();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The URL clients use: the load balancer's, or else node 0's. */
  get url(): string {
    return this.lbPort === undefined
      ? (this.nodes[0] as CourierNode).url
      : `http://127.0.0.1:${this.lbPort}`;
  }

  async #startHaproxy(): Promise<void> {
    const binary = haproxyBinary();
    if (!binary) throw new Error("haproxy is not installed");
    this.lbPort = await freePort();
    const env: Record<string, string> = {
      COURIER_LB_BIND: `127.0.0.1:${this.lbPort}`,
      COURIER_LB_STATS: `127.0.0.1:${await freePort()}`,
    };
    this.nodes.forEach((n, i) => {
      env[`COURIER_NODE${i + 1}`] = `127.0.0.1:${n.port}`;
    });
    // -db: stay in the foreground, so that this process owns it and can kill it.
    const child = spawn(binary, ["-db", "-f", haproxyCfg], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    this.#haproxy = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not up yet
      }
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error("haproxy did not come up");
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.#haproxy?.kill("SIGKILL");
    await Promise.all(this.nodes.map((n) => n.stop()));
    await rm(this.#dataDir, { recursive: true, force: true });
  }
}

/** The haproxy binary, if installed (Debian: `apt-get install haproxy`, /usr/sbin/haproxy). */
export function haproxyBinary(): string | undefined {
  for (const candidate of [process.env.HAPROXY_BIN, "/usr/sbin/haproxy", "haproxy"]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["-v"], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
