import type { WebSocketConstructor, WebSocketLike } from "@courier/client";
import { LeanSocket } from "./lean-socket.ts";

const connecting = 0;
const open = 1;
const closing = 2;
const closed = 3;

/**
 * The part of the standard WebSocket API the SDK uses, on a LeanSocket bound to `localAddress`:
 * the SDK driver's socket class. An app's WebSocket is the platform's (a browser's or React
 * Native's, in native code), so the JavaScript of a socket layer is generator cost a real device
 * does not pay: with `ws`, 9.5 % of the SDK generator's samples were its `writev` alone.
 */
export function leanWebSocket(localAddress: string): WebSocketConstructor {
  return class LeanWebSocket implements WebSocketLike {
    readyState = connecting;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    readonly #socket: LeanSocket;

    constructor(url: string) {
      this.#socket = new LeanSocket(
        url,
        {
          open: () => {
            this.readyState = open;
            this.onopen?.({});
          },
          message: (data) => this.onmessage?.({ data }),
          error: (error) => this.onerror?.({ error }),
          close: (code) => {
            this.readyState = closed;
            this.onclose?.({ code, reason: "" });
          },
        },
        localAddress,
      );
    }

    send(data: string): void {
      this.#socket.send(data);
    }

    /** The reason is not sent: LeanSocket's close frame carries the code alone. */
    close(code?: number): void {
      if (this.readyState === closed) return;
      this.readyState = closing;
      this.#socket.close(code);
    }
  };
}
