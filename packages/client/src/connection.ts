import type { ServerFrame } from "@courier/protocol";
import { CloseCode, terminalCloseCodes } from "@courier/protocol";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { Emitter } from "./emitter.ts";
import { OPEN, type WebSocketConstructor, type WebSocketLike } from "./socket.ts";
import type { AuthFailure, ConnectionState } from "./types.ts";

export interface ConnectionOptions {
  /** WebSocket URL of the gateway, e.g. `ws://localhost:8080/ws`. */
  url: string;
  WebSocket: WebSocketConstructor;
  /** The token to authenticate with, read on every attempt; undefined stops connecting. */
  token: () => string | undefined;
  /** Called with the frames of every server message, in arrival order. */
  onFrames: (frames: ServerFrame[]) => void;
  backoff?: BackoffOptions;
  /** App-level `ping` interval, ms. Default 20,000. */
  heartbeatIntervalMs?: number;
  /** Reconnect when no frame arrived for this long, ms. Default 45,000. */
  heartbeatTimeoutMs?: number;
  /** Reconnect when `ready` did not arrive within this after creating the socket, ms. Default 15,000. */
  authTimeoutMs?: number;
}

interface ConnectionEvents {
  state: ConnectionState;
  /** `ready` arrived: the socket may carry frames (sync follows). */
  ready: undefined;
  /** The socket closed (any reason); frames queued for it are gone. */
  closed: { code: number; reason: string };
  auth_failed: AuthFailure;
}

/**
 * The one owner of the socket and of reconnecting. It opens the socket, authenticates, tracks
 * the state (`offline → connecting → authenticating → syncing → online`), keeps a heartbeat, and
 * after any loss reconnects with full-jitter backoff until `disconnect()`. Backoff resets once a
 * connection reached `online`. Terminal close codes (auth failed, revoked) stop it for good and
 * emit `auth_failed`. The host can hint network changes with `setNetworkAvailable`.
 *
 * It does not interpret frames beyond `ready`/`synced`/lifecycle; they all go to `onFrames`.
 */
export class ConnectionManager {
  readonly events = new Emitter<ConnectionEvents>();
  readonly #o: ConnectionOptions;
  readonly #backoff: Backoff;
  readonly #heartbeatMs: number;
  readonly #idleMs: number;
  readonly #authTimeoutMs: number;
  #state: ConnectionState = "offline";
  #socket: WebSocketLike | undefined;
  /** The app wants a connection (between connect() and disconnect()/auth failure). */
  #wanted = false;
  #networkUp = true;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #beatTimer: ReturnType<typeof setInterval> | undefined;
  #authTimer: ReturnType<typeof setTimeout> | undefined;
  #lastFrameAt = 0;
  #pingN = 0;

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
    this.#heartbeatMs = options.heartbeatIntervalMs ?? 20_000;
    this.#idleMs = options.heartbeatTimeoutMs ?? 45_000;
    this.#authTimeoutMs = options.authTimeoutMs ?? 15_000;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** True once `ready` arrived on the current socket: frames other than `auth` may be sent. */
  get ready(): boolean {
    return this.#state === "syncing" || this.#state === "online";
  }

  /** Starts connecting (no-op if already wanted). Resolves nothing: watch the `state` event. */
  connect(): void {
    this.#wanted = true;
    if (this.#socket === undefined && this.#retryTimer === undefined) this.#open();
  }

  /** Closes the socket and stops reconnecting until the next `connect()`. */
  disconnect(): void {
    this.#wanted = false;
    this.#clearRetry();
    this.#drop(CloseCode.normal, "client disconnect");
    this.#setState("offline");
  }

  /**
   * A hint from the host (browser `online`/`offline` events, NetInfo on React Native). Going down
   * closes the socket at once instead of waiting for the heartbeat; coming back reconnects at
   * once, skipping the backoff delay.
   */
  setNetworkAvailable(available: boolean): void {
    if (available === this.#networkUp) return;
    this.#networkUp = available;
    if (!available) {
      this.#clearRetry();
      this.#drop(CloseCode.normal, "network down");
      this.#setState("offline");
      return;
    }
    if (this.#wanted && this.#socket === undefined) {
      this.#clearRetry();
      this.#backoff.reset();
      this.#open();
    }
  }

  /** Writes one WebSocket message if the connection is ready; false otherwise. */
  write(data: string): boolean {
    const socket = this.#socket;
    if (socket === undefined || !this.ready || socket.readyState !== OPEN) return false;
    socket.send(data);
    return true;
  }

  /** Drops the current socket and reconnects after backoff (used on local failures). */
  restart(reason: string): void {
    if (this.#socket === undefined) return;
    this.#drop(CloseCode.normal, reason);
    this.#afterLoss();
  }

  #open(): void {
    if (!this.#networkUp) return;
    const token = this.#o.token();
    if (token === undefined) {
      this.#wanted = false;
      this.#setState("offline");
      return;
    }
    this.#setState("connecting");
    let socket: WebSocketLike;
    try {
      socket = new this.#o.WebSocket(this.#o.url);
    } catch {
      this.#afterLoss();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#setState("authenticating");
      this.#lastFrameAt = Date.now();
      socket.send(JSON.stringify({ t: "auth", token }));
    };
    // Covers opening and authenticating: a socket stuck in either is replaced.
    this.#authTimer = setTimeout(() => this.restart("no ready in time"), this.#authTimeoutMs);
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#detach();
      this.events.emit("closed", { code: event.code, reason: event.reason });
      if (terminalCloseCodes.has(event.code)) {
        this.#wanted = false;
        this.#setState("offline");
        this.events.emit("auth_failed", { code: event.code, reason: event.reason });
        return;
      }
      this.#afterLoss();
    };
    // An error is always followed by a close event, which does the work.
    socket.onerror = () => {};
  }

  #receive(data: unknown): void {
    this.#lastFrameAt = Date.now();
    if (typeof data !== "string") return;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    const frames = (Array.isArray(value) ? value : [value]) as ServerFrame[];
    for (const frame of frames) {
      if (frame.t === "ready") {
        clearTimeout(this.#authTimer);
        this.#authTimer = undefined;
        this.#setState("syncing");
        this.#startHeartbeat();
        this.events.emit("ready", undefined);
      } else if (frame.t === "synced") {
        this.#backoff.reset();
        this.#setState("online");
      }
    }
    this.#o.onFrames(frames);
  }

  #startHeartbeat(): void {
    clearInterval(this.#beatTimer);
    this.#beatTimer = setInterval(() => {
      if (Date.now() - this.#lastFrameAt > this.#idleMs) {
        this.restart("heartbeat timeout");
        return;
      }
      this.write(JSON.stringify({ t: "ping", n: ++this.#pingN }));
    }, this.#heartbeatMs);
  }

  /** After losing a socket: offline, and a reconnect after backoff if still wanted. */
  #afterLoss(): void {
    this.#setState("offline");
    if (!this.#wanted || !this.#networkUp || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#wanted && this.#socket === undefined) this.#open();
    }, this.#backoff.next());
  }

  #drop(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#detach();
    try {
      socket.close(code, reason);
    } catch {
      // Closing a socket that never opened may throw in some implementations; it is gone anyway.
    }
    this.events.emit("closed", { code, reason });
  }

  /** Forgets the current socket: its late events are ignored from now on. */
  #detach(): void {
    const socket = this.#socket;
    if (socket !== undefined) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
    }
    this.#socket = undefined;
    clearInterval(this.#beatTimer);
    clearTimeout(this.#authTimer);
    this.#beatTimer = undefined;
    this.#authTimer = undefined;
  }

  #clearRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.events.emit("state", state);
  }
}
