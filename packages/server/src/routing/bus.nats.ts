import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { newId } from "../store/ids.ts";
import { keyFor, NatsPresence } from "./bus.nats.presence.ts";
import { type Bus, type BusEvent, BusUnavailableError } from "./bus.ts";

export interface NatsBusOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** Names this node in NATS monitoring; the presence id is always fresh per start. */
  name?: string;
  /** A node whose heartbeat is older than this counts as dead, and its users as offline. */
  presenceTtlMs?: number;
  /** Subject prefix and bucket suffix, so that tests (or two clusters) can share one server. */
  namespace?: string;
  /** Called when the connection drops and when it is back (for logs and metrics). */
  onStatus?: (status: "disconnected" | "reconnected", detail?: string) => void;
}

/** How long `ready()` waits for NATS to confirm the connection before calling it unavailable. */
const readyTimeoutMs = 2000;

/**
 * The cluster bus. Every user has a subject, `<namespace>.user.<userId>`; a node subscribes to it
 * while it holds a connection of that user, so NATS carries an event only to the nodes that need
 * it. Events for users connected to this very node are handed to the handlers directly (the
 * connection is opened with `noEcho`, so they do not come back through NATS a second time).
 *
 * Contract details beyond `Bus`:
 * - A subscription is in effect cluster-wide once a `ready()` called after it has resolved
 *   (ready round-trips to the server, which has then seen the SUB).
 * - While disconnected, `ready()` rejects with BusUnavailableError; the client reconnects by
 *   itself forever and re-sends its subscriptions. Events published meanwhile are buffered by the
 *   client and may be lost (the bus is at-most-once; the store is the truth).
 * - Presence: see `bus.nats.presence.ts`. Presence changes that fail while disconnected are
 *   written again after reconnecting, so that the cluster view converges to this node's truth.
 */
export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #presence: NatsPresence;
  readonly #subject: string;
  readonly #options: NatsBusOptions;
  readonly #subs = new Map<string, { sub: Subscription; handlers: Set<(e: BusEvent) => void> }>();
  /** This node's view: users with at least one connection here, and since when. */
  readonly #online = new Map<string, number>();
  /** Users whose presence write failed or may have been undone (pruned while we were away). */
  readonly #dirty = new Set<string>();
  /** Per-user chain, so that one user's presence writes from this node apply in call order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #reconnectHandlers = new Set<(cutOffAt: number) => void>();
  #connected = true;
  /** When the current (or last) outage began, ms since the epoch. */
  #cutOffAt = 0;
  #closed = false;

  private constructor(nc: NatsConnection, presence: NatsPresence, options: NatsBusOptions) {
    this.#nc = nc;
    this.#presence = presence;
    this.#options = options;
    this.#subject = `${options.namespace ?? "courier"}.user.`;
    const ttl = options.presenceTtlMs ?? 15_000;
    this.#heartbeat = setInterval(() => void this.#beat(), Math.max(100, Math.floor(ttl / 3)));
    this.#heartbeat.unref();
    void this.#watchStatus();
  }

  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: options.url.split(","),
      name: options.name ?? "courier",
      noEcho: true,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 250,
      waitOnFirstConnect: true,
      // Notice a dead server within seconds, not the default minutes.
      pingInterval: 5_000,
      maxPingOut: 2,
    });
    try {
      const ttl = options.presenceTtlMs ?? 15_000;
      const suffix = options.namespace ? `_${keyFor(options.namespace)}` : "";
      const kvm = new Kvm(jetstream(nc));
      const nodes = await kvm.create(`courier_nodes${suffix}`, { history: 1, ttl });
      const users = await kvm.create(`courier_presence${suffix}`, { history: 1 });
      const presence = new NatsPresence(nodes, users, newId());
      await presence.heartbeat();
      return new NatsBus(nc, presence, options);
    } catch (error) {
      await nc.close().catch(() => {});
      throw error;
    }
  }

  publish(userId: string, event: BusEvent): void {
    // Local handlers first, synchronously, like the memory bus; then the other nodes.
    const local = this.#subs.get(userId);
    if (local) for (const handler of local.handlers) handler(event);
    if (this.#closed) return;
    try {
      this.#nc.publish(this.#subject + keyFor(userId), JSON.stringify(event));
    } catch {
      // Closed or draining: fire-and-forget, the store and the client's sync repair the gap.
    }
  }

  subscribe(userId: string, handler: (event: BusEvent) => void): () => void {
    let entry = this.#subs.get(userId);
    if (!entry) {
      const handlers = new Set<(e: BusEvent) => void>();
      const sub = this.#nc.subscribe(this.#subject + keyFor(userId), {
        callback: (error, msg) => {
          if (error) return;
          let event: BusEvent;
          try {
            event = msg.json<BusEvent>();
          } catch {
            return; // not ours: nothing else publishes here, but never crash on input
          }
          for (const h of [...handlers]) h(event);
        },
      });
      entry = { sub, handlers };
      this.#subs.set(userId, entry);
    }
    entry.handlers.add(handler);
    const current = entry;
    return () => {
      current.handlers.delete(handler);
      if (current.handlers.size > 0 || this.#subs.get(userId) !== current) return;
      this.#subs.delete(userId);
      try {
        current.sub.unsubscribe();
      } catch {
        // already closed
      }
    };
  }

  setPresence(userId: string, online: boolean, at: number): Promise<void> {
    if (online) this.#online.set(userId, at);
    else this.#online.delete(userId);
    return this.#writePresence(userId, at);
  }

  async presenceOf(userIds: string[]): Promise<Map<string, { online: boolean; lastSeen: number }>> {
    try {
      return await this.#presence.read(userIds);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async ready(): Promise<void> {
    if (this.#closed || this.#nc.isClosed()) throw new BusUnavailableError("NATS bus is closed");
    if (!this.#connected) throw new BusUnavailableError("NATS is disconnected");
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#nc.flush(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new BusUnavailableError("NATS did not answer")),
            readyTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      throw unavailable(error);
    } finally {
      clearTimeout(timer);
    }
  }

  onReconnect(handler: (cutOffAt: number) => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reconnectHandlers.clear();
    clearInterval(this.#heartbeat);
    // Take this node's users offline now rather than after the TTL, best effort.
    const users = [...this.#online.keys()];
    this.#online.clear();
    const now = Date.now();
    await Promise.allSettled(users.map((u) => this.#writePresence(u, now)));
    await this.#presence.leave().catch(() => {});
    this.#subs.clear();
    await this.#nc.drain().catch(() => {});
  }

  /** Writes this node's current state for the user (whatever was asked last wins). */
  #writePresence(userId: string, at: number): Promise<void> {
    const previous = this.#chains.get(userId) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const since = this.#online.get(userId);
        try {
          await this.#presence.write(userId, since !== undefined, since ?? at);
          this.#dirty.delete(userId);
        } catch (error) {
          this.#dirty.add(userId);
          throw unavailable(error);
        }
      });
    this.#chains.set(userId, next);
    void next.then(
      () => this.#forget(userId, next),
      () => this.#forget(userId, next),
    );
    return next;
  }

  #forget(userId: string, chain: Promise<void>): void {
    if (this.#chains.get(userId) === chain) this.#chains.delete(userId);
  }

  async #beat(): Promise<void> {
    if (this.#closed || !this.#connected) return;
    try {
      await this.#presence.heartbeat();
    } catch {
      // Missed beats are fine up to the TTL; the status watcher handles real disconnects.
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === "disconnect") {
        // The first disconnect of an outage counts: attempts to reconnect report again.
        if (this.#connected) this.#cutOffAt = Date.now();
        this.#connected = false;
        this.#options.onStatus?.("disconnected", String(status.server ?? ""));
      } else if (status.type === "reconnect") {
        this.#connected = true;
        this.#options.onStatus?.("reconnected", String(status.server ?? ""));
        void this.#announceReconnect();
        void this.#resync();
      }
    }
  }

  /**
   * Tells the reconnect handlers, once the server has this node's subscriptions again (the client
   * re-sends them on reconnect; a flush round-trips behind them). If the link drops again before
   * that, the next reconnect announces instead.
   */
  async #announceReconnect(): Promise<void> {
    try {
      await this.ready();
    } catch {
      return;
    }
    for (const handler of [...this.#reconnectHandlers]) {
      try {
        handler(this.#cutOffAt);
      } catch {
        // A handler's failure is its own; the others still run.
      }
    }
  }

  /**
   * After a reconnect: beat at once, and write the presence of every user connected here again.
   * While we were away our heartbeat may have lapsed, and another node may have pruned us from
   * those users' values; a restarted NATS server may even have lost the buckets' contents.
   */
  async #resync(): Promise<void> {
    await this.#beat();
    const users = new Set([...this.#online.keys(), ...this.#dirty]);
    const now = Date.now();
    for (const userId of users) {
      if (this.#closed || !this.#connected) return;
      await this.#writePresence(userId, now).catch(() => {});
    }
  }
}

function unavailable(error: unknown): Error {
  if (error instanceof BusUnavailableError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new BusUnavailableError(`NATS unavailable: ${reason}`, { cause: error });
}
