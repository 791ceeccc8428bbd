import { once } from "node:events";
import { after, before } from "node:test";
import { WebSocketServer } from "ws";

/**
 * A `ws` server on loopback for the suite around the call, started before its tests and closed
 * after them, that answers every text message with `reply(text)`. Tests reach it through the
 * getters (set once `before` ran) and may add their own `connection` listeners to `wss`.
 */
export function echoServer(reply: (text: string) => string) {
  let wss: WebSocketServer | undefined;
  let url = "";
  before(async () => {
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1", path: "/ws" });
    await once(wss, "listening");
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ws`;
    wss.on("connection", (ws) => ws.on("message", (data) => ws.send(reply(String(data)))));
  });
  after(() => {
    for (const ws of wss?.clients ?? []) ws.terminate();
    wss?.close();
  });
  return {
    get wss(): WebSocketServer {
      if (wss === undefined) throw new Error("the echo server starts in before()");
      return wss;
    },
    get url(): string {
      return url;
    },
  };
}
