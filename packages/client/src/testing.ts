import type { ClientFrame, ServerFrame } from "@courier/protocol";
import type { WebSocketConstructor, WebSocketLike } from "./socket.ts";

/**
 * Test helpers for code built on the SDK (`@courier/client/testing`), kept out of the main entry.
 *
 * An in-test WebSocket peer: the SDK gets `network.WebSocket` as its constructor, the test plays
 * the server through the sockets it created. Nothing opens by itself unless `autoOpen` is set,
 * so tests control every step.
 */
export class FakeNetwork {
  readonly sockets: FakeSocket[] = [];
  /** Open sockets on the next microtask (and answer `auth` with `ready` + `synced` if `autoReady`). */
  autoOpen = false;
  autoReady = false;
  /** Called for every socket the SDK creates. */
  onSocket: ((socket: FakeSocket) => void) | undefined;
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    const network = this;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string) {
        super(url, network);
        network.sockets.push(this);
        network.onSocket?.(this);
        if (network.autoOpen) queueMicrotask(() => this.open());
      }
    };
  }

  /** The socket the SDK created last. */
  get last(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error("no socket was created");
    return socket;
  }
}

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly url: string;
  /** Raw messages the SDK sent, in order. */
  readonly messages: string[] = [];
  /** What the SDK's close() was called with, if it was. */
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly #network: FakeNetwork;
  #waiters: Array<() => void> = [];

  constructor(url: string, network: FakeNetwork) {
    this.url = url;
    this.#network = network;
  }

  /** Every frame the SDK sent, arrays flattened. */
  get frames(): ClientFrame[] {
    return this.messages.flatMap((m) => {
      const value = JSON.parse(m) as ClientFrame | ClientFrame[];
      return Array.isArray(value) ? value : [value];
    });
  }

  framesOf<T extends ClientFrame["t"]>(t: T): Extract<ClientFrame, { t: T }>[] {
    return this.frames.filter((f): f is Extract<ClientFrame, { t: T }> => f.t === t);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.messages.push(data);
    const value = JSON.parse(data) as ClientFrame;
    if (this.#network.autoReady && !Array.isArray(value) && value.t === "auth") {
      queueMicrotask(() =>
        this.deliver([
          {
            t: "ready",
            user: { id: "me", username: "me", displayName: "Me" },
            device: "d1",
            time: 0,
          },
          { t: "synced" },
        ]),
      );
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // --- the server's side ---

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** Sends one server message: a frame, or an array of frames (one WebSocket message). */
  deliver(frames: ServerFrame | ServerFrame[]): void {
    this.onmessage?.({ data: JSON.stringify(frames) });
  }

  /** The server closes the connection. */
  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Resolves once the SDK has sent a frame matching `match` (checks frames sent so far first). */
  async waitFor<T extends ClientFrame>(
    match: (frame: ClientFrame) => frame is T,
    timeoutMs?: number,
  ): Promise<T>;
  async waitFor(match: (frame: ClientFrame) => boolean, timeoutMs?: number): Promise<ClientFrame>;
  async waitFor(match: (frame: ClientFrame) => boolean, timeoutMs = 2000): Promise<ClientFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error("timed out waiting for a client frame");
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }
}
