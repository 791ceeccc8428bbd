import {
  CourierClient,
  type LocalMessage,
  MemoryStorage,
  type WebSocketConstructor,
} from "@courier/client";
import type { UserInfo } from "@courier/protocol";
import WebSocket from "ws";

/**
 * One device driven by the real SDK, recording what a checker needs: every message the device
 * took in (in the order the SDK emitted them) and every own message's server answer.
 */

/** ws, without compression; `urls` (optional) rotates the node on every (re)connect. */
function webSocket(urls?: string[]): WebSocketConstructor {
  let next = 0;
  class TestWebSocket extends WebSocket {
    constructor(url: string) {
      const target = urls ? (urls[next++ % urls.length] as string) : url;
      super(target, { perMessageDeflate: false });
    }
  }
  // ws types its handler events as its own Event classes; the SDK reads only `data`, `code`
  // and `reason`, which ws provides, so the cast is sound (as in bench/src/driver.sdk.ts).
  return TestWebSocket as unknown as WebSocketConstructor;
}

export interface PeerOptions {
  /** Base URL for REST and, unless `wsUrls` is set, the socket. */
  url: string;
  /** Socket URLs to rotate over on each reconnect (client-side failover without a balancer). */
  wsUrls?: string[];
}

export class Peer {
  /** Every peer made in this process, so that a failed test still stops their reconnects. */
  static readonly #all = new Set<Peer>();

  /** Disconnects every peer (no reconnect timers keep the test process alive afterwards). */
  static disconnectAll(): void {
    for (const peer of Peer.#all) peer.client.disconnect();
    Peer.#all.clear();
  }

  readonly client: CourierClient;
  user!: UserInfo;
  deviceId = "";
  /** Messages this device received, in emit order. */
  readonly received: LocalMessage[] = [];
  /** Own messages the server acked (status sent or later), by cid. */
  readonly acked = new Map<string, LocalMessage>();
  /** Last status per own cid. */
  readonly status = new Map<string, LocalMessage["status"]>();
  readonly errors: string[] = [];
  /** How often the device came online: 1 + the reconnects a failure forced. */
  sessions = 0;
  /** Error frames the server sent (e.g. `unavailable` while the database is away), by code. */
  readonly serverErrors = new Map<string, number>();

  constructor(options: PeerOptions) {
    this.client = new CourierClient({
      url: options.url,
      ...(options.wsUrls ? { wsUrl: options.wsUrls[0] } : {}),
      storage: new MemoryStorage(),
      WebSocket: webSocket(options.wsUrls?.map((u) => `${u.replace(/^http/, "ws")}/ws`)),
      backoff: { minMs: 100, maxMs: 1000 },
      heartbeatIntervalMs: 2000,
      heartbeatTimeoutMs: 6000,
    });
    Peer.#all.add(this);
    this.client.on("message", (m) => this.received.push(m));
    this.client.on("state", (state) => {
      if (state === "online") this.sessions++;
    });
    this.client.on("error", (e) => {
      this.serverErrors.set(e.code, (this.serverErrors.get(e.code) ?? 0) + 1);
    });
    this.client.on("status", (m) => {
      this.status.set(m.cid, m.status);
      if (m.status === "failed") this.errors.push(`${m.cid}: ${m.error}`);
      else if (m.status !== "pending" && !this.acked.has(m.cid)) this.acked.set(m.cid, m);
    });
  }

  async register(username: string): Promise<this> {
    const auth = await this.client.register({ username, password: "password1" });
    this.user = auth.user;
    this.deviceId = auth.device.id;
    return this;
  }

  async login(username: string): Promise<this> {
    const auth = await this.client.login({ username, password: "password1" });
    this.user = auth.user;
    this.deviceId = auth.device.id;
    return this;
  }

  async online(): Promise<void> {
    const synced = new Promise<void>((resolve) => {
      const off = this.client.on("synced", () => {
        off();
        resolve();
      });
    });
    await this.client.connect();
    await synced;
  }

  /** Sends a text; resolves with its cid once it is in the outbox. */
  async send(to: { conv: string } | { to: string }, text: string): Promise<string> {
    return (await this.client.send(to, { type: "text", text })).cid;
  }

  /** cids received from `from` in conversation `conv`, in order. */
  receivedFrom(from: string, conv?: string): LocalMessage[] {
    return this.received.filter((m) => m.from === from && (conv === undefined || m.conv === conv));
  }
}

/** Polls `check` until it passes or `ms` ran out (then rethrows its last failure). */
export async function eventually(check: () => void | Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
