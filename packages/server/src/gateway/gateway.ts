import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type AuthFrame, CloseCode, ErrorCode } from "@courier/protocol";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { DeliveryContext } from "../delivery/context.ts";
import type { Delivery } from "../delivery/delivery.ts";
import { errorFrame } from "../delivery/errors.ts";
import { syncConnection } from "../delivery/sync.ts";
import { deviceForToken } from "../http/tokens.ts";
import { Connection } from "./connection.ts";
import { decodeMessage } from "./decode.ts";
import { takeToken } from "./rate-limit.ts";

/** Rate-limited frames in a row after which a connection is closed as a flood. */
const maxViolations = 200;
/** Connections resynced at once after the bus lost events (see Gateway.resyncAll). */
const resyncConcurrency = 32;

/**
 * The WebSocket front door at `/ws`: upgrade, authentication by the first frame, heartbeats,
 * per-connection limits, and handing validated frames to delivery.
 */
export class Gateway {
  readonly #ctx: DeliveryContext;
  readonly #delivery: Delivery;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(ctx: DeliveryContext, delivery: Delivery) {
    this.#ctx = ctx;
    this.#delivery = delivery;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: ctx.config.maxMessageBytes,
    });
    // One sweep for all sockets instead of a timer each: a connection that missed a whole
    // interval's ping is dead.
    this.#heartbeat = setInterval(() => this.#sweep(), ctx.config.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  attach(server: Server): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? "/", "http://x").pathname !== "/ws") {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, socket));
    });
  }

  get size(): number {
    return this.#connections.size;
  }

  /**
   * After the bus lost events (a NATS reconnect): every connection catches up from the store.
   * A live one runs its sync again in place, as after a reconnect but without one (no socket,
   * handshake or authentication redone, no disconnect seen by the user); the device drops what
   * it already had by seq, and gets the receipts that changed since the bus was cut off. A
   * connection still authenticating or syncing may have read its backlog before the outage
   * ended: it is closed with `going away` and comes back. The syncs run a few at a time, so
   * that thousands of connections queue their store reads instead of piling them up.
   */
  async resyncAll(cutOffAt: number): Promise<{ resynced: number; closed: number }> {
    const live: Connection[] = [];
    let closed = 0;
    for (const conn of this.#connections) {
      if (conn.state === "live") live.push(conn);
      else {
        conn.close(CloseCode.goingAway, "bus reconnected: resync");
        closed++;
      }
    }
    await this.#delivery.settleCursors(); // as before any sync: see #authenticate
    let next = 0;
    const resyncOne = async () => {
      for (let conn = live[next++]; conn !== undefined; conn = live[next++]) {
        if (conn.state !== "live") continue; // closed meanwhile
        conn.state = "syncing";
        await syncConnection(this.#ctx, conn, cutOffAt);
      }
    };
    await Promise.all(Array.from({ length: resyncConcurrency }, resyncOne));
    return { resynced: live.length, closed };
  }

  /** Closes every connection with `going away`, so clients reconnect elsewhere. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const conn of this.#connections) conn.close(CloseCode.goingAway, "server shutting down");
    this.#wss.close();
  }

  #open(ws: WebSocket, socket: Duplex): void {
    const { config, metrics } = this.#ctx;
    const conn = new Connection(ws, socket, {
      burst: config.rateLimitBurst,
      maxBufferedBytes: config.maxBufferedBytes,
      lingerMs: config.sentLingerMs,
      onSlow: (c) => {
        metrics.slowConsumers.inc();
        c.close(CloseCode.slowConsumer, "too slow, reconnect and resync");
      },
    });
    this.#connections.add(conn);
    metrics.connections.inc();
    const authTimer = setTimeout(() => {
      if (conn.state === "auth") conn.close(CloseCode.authTimeout, "no auth frame in time");
    }, config.authTimeoutMs);
    ws.on("message", (data: RawData, isBinary: boolean) =>
      this.#receive(conn, data as Buffer, isBinary),
    );
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("error", () => {}); // a reset socket also emits close, which cleans up
    ws.on("close", () => {
      clearTimeout(authTimer);
      this.#closed(conn);
    });
  }

  #receive(conn: Connection, data: Buffer, isBinary: boolean): void {
    conn.alive = true;
    if (conn.closed) return;
    const { config, metrics } = this.#ctx;
    const now = Date.now();
    for (const decoded of decodeMessage(data, isBinary, config.maxFrameBytes)) {
      metrics.framesIn.inc();
      if (!takeToken(conn, config.rateLimitPerSecond, config.rateLimitBurst, now)) {
        if (++conn.violations > maxViolations) {
          conn.close(CloseCode.flood, "flooding");
          return;
        }
        this.#reject(
          conn,
          ErrorCode.rateLimited,
          "slow down",
          decoded.ok ? refOf(decoded.frame) : undefined,
        );
        continue;
      }
      conn.violations = 0;
      if (!decoded.ok) {
        if (conn.state === "auth") {
          conn.close(CloseCode.authFailed, "the first frame must be auth");
          return;
        }
        this.#reject(conn, decoded.code, decoded.message, decoded.ref);
        continue;
      }
      const frame = decoded.frame;
      if (conn.state === "auth") {
        if (frame.t !== "auth") {
          conn.close(CloseCode.authFailed, "the first frame must be auth");
          return;
        }
        conn.state = "syncing"; // no more frames until authenticated: see below
        this.#authenticate(conn, frame).catch((err: unknown) => {
          this.#ctx.log.warn({ err }, "authentication failed");
          conn.close(CloseCode.goingAway, "authentication unavailable, retry");
        });
        continue;
      }
      if (conn.userId === "") {
        this.#reject(
          conn,
          ErrorCode.notAuthenticated,
          "wait for ready before sending",
          refOf(frame),
        );
        continue;
      }
      this.#delivery.handle(conn, frame);
    }
  }

  async #authenticate(conn: Connection, frame: AuthFrame): Promise<void> {
    const ctx = this.#ctx;
    const device = await deviceForToken(ctx.store, frame.token);
    if (conn.closed) return;
    if (!device) {
      conn.close(CloseCode.authFailed, "unknown or revoked token");
      return;
    }
    const user = await ctx.store.userById(device.userId);
    if (!user || conn.closed) {
      if (!user) conn.close(CloseCode.authFailed, "unknown user");
      return;
    }
    // Large groups' notifies must reach this connection before the sync reads the backlog,
    // or a message stored in between would be in neither.
    const largeGroups =
      (await ctx.groups?.largeGroupsOf(user.id, ctx.config.largeGroupThreshold)) ?? [];
    if (conn.closed) return;
    conn.userId = user.id;
    conn.deviceId = device.id;
    ctx.router.attach(conn);
    for (const conversationId of largeGroups) ctx.router.joinGroup(conn, conversationId);
    // On NATS a subscription is live only once the server has it: wait for that, or a message
    // committed elsewhere right now could miss both the live path and the backlog read below.
    await ctx.router.ready();
    if (conn.closed) return;
    conn.send({
      t: "ready",
      user: { id: user.id, username: user.username, displayName: user.displayName },
      device: device.id,
      time: Date.now(),
    });
    void ctx.store.touchDevice(device.id, Date.now()).catch(() => {});
    // Acks wait a while before they are stored: the backlog and the missed receipts this sync
    // reads must not be older than what was acked (or announced) already.
    await this.#delivery.settleCursors(user.id);
    if (conn.closed) return;
    await syncConnection(ctx, conn, device.lastActiveAt);
  }

  #reject(conn: Connection, code: ErrorCode, message: string, ref?: string): void {
    this.#ctx.metrics.frameErrors.inc({ code });
    conn.send(errorFrame(code, message, ref));
  }

  #closed(conn: Connection): void {
    if (!this.#connections.delete(conn)) return;
    this.#ctx.metrics.connections.dec();
    conn.state = "closed";
    conn.held = null;
    if (conn.userId !== "") {
      this.#ctx.router.detach(conn);
      void this.#ctx.store.touchDevice(conn.deviceId, Date.now()).catch(() => {});
    }
  }

  #sweep(): void {
    for (const conn of this.#connections) {
      if (!conn.alive) {
        conn.close(CloseCode.heartbeatTimeout, "no heartbeat");
        continue;
      }
      conn.alive = false;
      if (conn.ws.readyState === WebSocket.OPEN) conn.ws.ping();
    }
  }
}

function refOf(frame: { t: string; cid?: string }): string | undefined {
  return frame.t === "send" ? frame.cid : undefined;
}
