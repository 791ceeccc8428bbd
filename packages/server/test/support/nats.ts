import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describeError, type SkipReason, skipUnless } from "./services.ts";

/** The machine's shared NATS (with JetStream). Tests never restart it: see NatsServer below. */
export const natsUrl = process.env.COURIER_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** node:test skip option for suites that need NATS with JetStream (throws under CI if down). */
export async function natsSkip(): Promise<SkipReason> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 2000, reconnect: false });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
    return skipUnless("NATS", undefined);
  } catch (error) {
    return skipUnless(`NATS with JetStream at ${natsUrl}`, describeError(error));
  }
}

/** A namespace no other run uses, so that tests can share the machine's NATS. */
export function freshNamespace(): string {
  return `t${process.pid}${Date.now().toString(36)}`;
}

/** Deletes the KV buckets a NatsBus created under `namespace`. */
export async function dropNamespace(url: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for (const bucket of ["courier_nodes", "courier_presence"]) {
      await jsm.streams.delete(`KV_${bucket}_${namespace}`).catch(() => {});
    }
  } finally {
    await nc.close();
  }
}

/** A free loopback port (there is a tiny race until the caller binds it; fine for tests). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A private nats-server (JetStream on, store in a temp dir) that a test may kill and start again
 * on the same port and store, to play a NATS restart without touching the machine's server.
 */
export class NatsServer {
  readonly port: number;
  readonly #dir: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(binary = process.env.NATS_SERVER_BIN ?? "nats-server"): Promise<NatsServer> {
    const dir = await mkdtemp(path.join(tmpdir(), "courier-nats-"));
    const server = new NatsServer(await freePort(), dir);
    await server.#spawn(binary);
    return server;
  }

  async #spawn(binary: string): Promise<void> {
    const child = spawn(
      binary,
      ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.#dir],
      {
        stdio: "ignore",
      },
    );
    this.#process = child;
    const failed = new Promise<never>((_, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`nats-server exited with ${code}`)));
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await Promise.race([
          connect({ servers: this.url, timeout: 500, reconnect: false }),
          failed,
        ]);
        await (await jetstreamManager(nc)).getAccountInfo();
        await nc.close();
        return;
      } catch (error) {
        if (Date.now() > deadline || child.exitCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** SIGKILL: the server vanishes as in a crash. */
  async kill(): Promise<void> {
    const child = this.#process;
    // A killed child has a signalCode, not an exitCode: do not wait for a second exit.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn(process.env.NATS_SERVER_BIN ?? "nats-server");
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
