import { CourierClient, MemoryStorage } from "@courier/client";
import type { BenchSession } from "./accounts.ts";
import { type Driver, type DriverTarget, type PeerHooks, sharedImmediate } from "./driver.ts";
import { leanWebSocket } from "./lean-websocket.ts";

/**
 * The headline driver: every bench client is a `CourierClient` with in-memory storage, exactly
 * as an app uses it, over a WebSocket bound to the worker's 127.0.0.x source address (a
 * LeanSocket, see lean-websocket.ts; `ws` until the seventh session).
 */
export function sdkDriver(
  target: DriverTarget,
  options: {
    sendWindow: number;
    /** Messages the in-memory storage keeps per conversation (64). */
    keepMessages?: number;
    /** SDK auth timeout: thousands of handshakes queue at a 2-core server (15 s). */
    authTimeoutMs?: number;
  },
): Driver {
  const scheduler = sharedImmediate();
  const WebSocketImpl = leanWebSocket(target.localAddress);
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
      client.on("message", (m) => {
        // Messages from others come from the server, which always gives them a seq.
        if (m.seq === undefined) hooks.error("message_without_seq");
        else hooks.received(m.conv, m.seq, m.content.type === "text" ? m.content.text : "");
      });
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
