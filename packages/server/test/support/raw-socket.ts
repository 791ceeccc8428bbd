import type { ServerFrame } from "@courier/protocol";
import WebSocket from "ws";

/**
 * A bare WebSocket client for tests that must send what the SDK never would: broken JSON,
 * wrong types, oversized frames, floods. Collects every frame the server sends.
 */
export class RawSocket {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  /** The frames of each WebSocket message, as the server batched them. */
  readonly messages: ServerFrame[][] = [];
  closeCode: number | undefined;
  readonly #waiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const value = JSON.parse(String(data)) as ServerFrame | ServerFrame[];
      const batch = Array.isArray(value) ? value : [value];
      this.messages.push(batch);
      for (const frame of batch) this.frames.push(frame);
      this.#wake();
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      this.#wake();
    });
  }

  static async open(baseUrl: string): Promise<RawSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new RawSocket(ws);
  }

  /** Opens, authenticates and waits for `synced`. */
  static async authed(baseUrl: string, token: string): Promise<RawSocket> {
    const socket = await RawSocket.open(baseUrl);
    socket.sendJson({ t: "auth", token });
    await socket.waitFor((f) => f.t === "synced");
    return socket;
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Sends a text message `to` a user (their direct conversation) or into `conv`. */
  sendText(message: { cid: string; text: string } & ({ to: string } | { conv: string })): void {
    const { text, ...address } = message;
    this.sendJson({ t: "send", ...address, content: { type: "text", text } });
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Resolves with the first collected frame (past or future) that matches; rejects after `ms`. */
  async waitFor<T extends ServerFrame>(
    match: (frame: ServerFrame) => frame is T,
    ms?: number,
  ): Promise<T>;
  async waitFor(match: (frame: ServerFrame) => boolean, ms?: number): Promise<ServerFrame>;
  async waitFor(match: (frame: ServerFrame) => boolean, ms = 5000): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(-500)}`);
      await this.#next(deadline - Date.now());
    }
  }

  async waitForClose(ms = 5000): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error("socket did not close");
      await this.#next(deadline - Date.now());
    }
    return this.closeCode;
  }

  errors(): Array<Extract<ServerFrame, { t: "error" }>> {
    return this.frames.filter((f): f is Extract<ServerFrame, { t: "error" }> => f.t === "error");
  }

  close(): void {
    this.ws.close();
  }

  #next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
