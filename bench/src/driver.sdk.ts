import { CourierClient, MemoryStorage, type WebSocketConstructor } from "@courier/client";
import WebSocket from "ws";
import type { BenchSession } from "./accounts.ts";
import { type Driver, type DriverTarget, type PeerHooks, sharedImmediate } from "./driver.ts";

/**
 * The headline driver: every bench client is a `CourierClient` with in-memory storage, exactly
 * as an app uses it, over a `ws` socket bound to the worker's 127.0.0.x source address.
 */
export function sdkDriver(
  target: DriverTarget,
  options: {
    sendWindow: number;
    /** Messages the in-memory storage keeps per conversation (64). */
    keepMessages?: number;
    /** Wraps the socket class (the group bench's quietWebSocket). */
    wrap?: (ws: WebSocketConstructor) => WebSocketConstructor;
    /** SDK auth timeout: thousands of handshakes queue at a 2-core server (15 s). */
    authTimeoutMs?: number;
  },
): Driver {
  const scheduler = sharedImmediate();
  const bound = boundWebSocket(target.localAddress);
  const WebSocketImpl = options.wrap ? options.wrap(bound) : bound;
  return {
    name: "sdk",
    open(session: BenchSession, hooks: PeerHooks) {
      const storage = new MemoryStorage({
        maxMessagesPerConversation: options.keepMessages ?? 64,
      });
      const client = new CourierClient({
        url: target.url,
        storage,
        WebSocket: WebSocketImpl,
        scheduler,
        sendWindow: options.sendWindow,
        ...(options.authTimeoutMs === undefined ? {} : { authTimeoutMs: options.authTimeoutMs }),
      });
      const sentAt = new Map<string, number>();
      /** Statuses seen before `send` resolved with the cid (cannot happen; counted if it does). */
      client.on("status", (m) => {
        const t = sentAt.get(m.cid);
        if (t === undefined) {
          if (m.status !== "pending") hooks.error("unknown_cid");
          return;
        }
        if (m.status === "sent") hooks.acked(t);
        else if (m.status === "delivered" || m.status === "read") {
          sentAt.delete(m.cid);
          hooks.delivered(t);
        } else if (m.status === "failed") hooks.error(m.error ?? "failed");
      });
      client.on("message", (m) =>
        hooks.received(m.cid, m.conv, m.content.type === "text" ? m.content.text : ""),
      );
      client.on("state", (s) => {
        if (s === "online") hooks.online();
      });
      client.on("error", (e) => hooks.error(e.code));
      client.on("auth_failed", () => hooks.error("auth_failed"));
      void (async () => {
        await storage.saveSession({
          token: session.token,
          user: session.user,
          deviceId: session.deviceId,
        });
        await client.restore();
        await client.connect();
      })().catch(() => hooks.error("connect"));
      return {
        send(conv, text, t) {
          client.send({ conv }, { type: "text", text }).then(
            (m) => {
              if (m.status === "pending") sentAt.set(m.cid, t);
              else hooks.error("send_not_pending");
            },
            () => hooks.error("send_rejected"),
          );
        },
        close() {
          client.disconnect();
        },
      };
    },
  };
}

/** The `ws` WebSocket, its sockets bound to `localAddress` (spreading ports over 127.0.0.x). */
export function boundWebSocket(localAddress: string): WebSocketConstructor {
  class BoundWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { localAddress, perMessageDeflate: false });
    }
  }
  // ws types its handler events as its own Event classes; the SDK reads only `data`, `code`
  // and `reason`, which ws provides (text messages arrive as strings), so the cast is sound.
  return BoundWebSocket as unknown as WebSocketConstructor;
}
