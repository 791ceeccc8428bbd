import type { Duplex } from "node:stream";
import type { MessageFrame, ServerFrame } from "@courier/protocol";
import { WebSocket } from "ws";
import { type Flushable, scheduleFlush, scheduleLinger } from "./flush.ts";
import { frameBatch } from "./serialize.ts";

/**
 * One client socket and what the server knows about it. Kept small on purpose: an idle
 * authenticated connection should cost a few kilobytes, most of it the socket itself.
 *
 * Frames sent during a tick are batched into one WebSocket message (see flush.ts). While the
 * connection is syncing, live `msg` frames are held back so that the device receives its backlog
 * first and then the live messages, in order and without doubles.
 *
 * Data frames are framed here and written straight to the upgraded socket (see ws-frame.ts);
 * `ws` still reads, answers pings and closes. That is safe because the server never compresses
 * (permessage-deflate is off), so `ws` writes every frame of its own at once and whole, and
 * frames from both never interleave mid-frame.
 */
export class Connection implements Flushable {
  readonly ws: WebSocket;
  /** The upgraded TCP socket under `ws`: where data frames go. */
  readonly #socket: Duplex;
  state: "auth" | "syncing" | "live" | "closed" = "auth";
  userId = "";
  deviceId = "";
  /** Heartbeat: set by any pong or message, cleared by each sweep. */
  alive = true;
  /** Rate-limit bucket (see rate-limit.ts). */
  tokens: number;
  refilledAt = Date.now();
  /** Consecutive rate-limited frames; too many and the connection is closed. */
  violations = 0;
  /** Live messages held while syncing; null when not syncing. */
  held: MessageFrame[] | null = null;
  /** Set when `held` overflowed: the sync must run another pass instead. */
  heldOverflow = false;
  /** During sync: the highest seq the sync sent per conversation, to drop held doubles. */
  syncedUpTo: Map<string, number> | null = null;
  /** Large groups whose notifies reach this connection (null for most users: no array kept). */
  groups: string[] | null = null;
  #queue: ServerFrame[] = [];
  /** A flush is due on the next tick (scheduleFlush) or with the linger timer (scheduleLinger). */
  #due: "none" | "tick" | "linger" = "none";
  readonly #maxBufferedBytes: number;
  readonly #lingerMs: number;
  readonly #onSlow: (connection: Connection) => void;

  constructor(
    ws: WebSocket,
    socket: Duplex,
    options: {
      burst: number;
      maxBufferedBytes: number;
      lingerMs: number;
      onSlow: (c: Connection) => void;
    },
  ) {
    this.ws = ws;
    this.#socket = socket;
    this.tokens = options.burst;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#lingerMs = options.lingerMs;
    this.#onSlow = options.onSlow;
  }

  /** A method rather than a field read, so that TypeScript does not narrow it across awaits. */
  get closed(): boolean {
    return this.state === "closed";
  }

  /** Queues a frame; it goes out with everything else queued this tick. */
  send(frame: ServerFrame): void {
    if (this.state === "closed") return;
    if (this.#due !== "tick") {
      this.#due = "tick";
      scheduleFlush(this);
    }
    this.#queue.push(frame);
  }

  /**
   * Queues a frame that may wait a few milliseconds (COURIER_SENT_LINGER_MS) for the next frame to
   * this connection. For `sent`: the recipient's ack usually turns into this sender's `receipt`
   * within that time, and both then cost one write here and one read on the device instead of
   * two each. Anything sent meanwhile takes it along at once.
   */
  linger(frame: ServerFrame): void {
    if (this.state === "closed") return;
    if (this.#lingerMs === 0) {
      this.send(frame);
      return;
    }
    if (this.#due === "none") {
      this.#due = "linger";
      scheduleLinger(this, this.#lingerMs);
    }
    this.#queue.push(frame);
  }

  /** Delivers a routed frame, holding live messages back while a sync is running. */
  deliver(frame: ServerFrame): void {
    if (frame.t === "msg" && this.held !== null) {
      if (this.held.length >= heldLimit) this.heldOverflow = true;
      else this.held.push(frame);
      return;
    }
    this.send(frame);
  }

  flush(): void {
    this.#due = "none";
    const queue = this.#queue;
    if (queue.length === 0 || this.state === "closed") return;
    this.#queue = [];
    const socket = this.#socket;
    // Closing (either side) or reset: what is queued cannot go out, sync resends it.
    if (this.ws.readyState !== WebSocket.OPEN || socket.destroyed) return;
    socket.write(frameBatch(queue));
    if (socket.writableLength > this.#maxBufferedBytes) this.#onSlow(this);
  }

  /** Resolves once the socket's send buffer is below a quarter of the slow-consumer limit. */
  async drained(): Promise<void> {
    while (this.state !== "closed" && this.#socket.writableLength > this.#maxBufferedBytes / 4) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  close(code: number, reason: string): void {
    if (this.state === "closed") return;
    this.flush();
    this.state = "closed";
    this.#queue = [];
    this.held = null;
    this.ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the socket open.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }
}

/** Held live messages per syncing connection before the sync switches to another pass. */
const heldLimit = 10_000;
