import type { ServerFrame } from "@courier/protocol";
import { CourierClient, type CourierClientOptions } from "../../src/client.ts";
import type { FetchLike } from "../../src/rest.ts";
import { MemoryStorage } from "../../src/storage.memory.ts";
import type { ClientStorage } from "../../src/storage.ts";
import { FakeNetwork, type FakeSocket } from "../../src/testing.ts";
import type { ClientEvents, Session } from "../../src/types.ts";

export const me = { id: "u-me", username: "me", displayName: "Me" };
export const bob = { id: "u-bob", username: "bob", displayName: "Bob" };
/** The direct conversation between `me` and `bob`, as the server names it. */
export const dm = "d:u-bob:u-me";

export const session: Session = { token: "tok-me", user: me, deviceId: "dev-me" };

export const ready: ServerFrame = { t: "ready", user: me, device: "dev-me", time: 0 };

/** Lets the SDK's tick flushes, microtasks and storage promises run. */
export const settle = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A fetch that answers nothing: tests that reach REST must pass their own. */
export const noFetch: FetchLike = () => Promise.reject(new Error("no REST in this test"));

const live: CourierClient[] = [];

/** Disconnects every client `fakeClient` made (their heartbeat timers would keep the test alive). */
export function disconnectAll(): void {
  for (const client of live.splice(0)) client.disconnect();
}

/**
 * A client logged in as `me` (session restored from storage) on a fake network, with every
 * event recorded. `online()` connects and walks the socket to `synced`.
 */
export async function fakeClient(
  options: Partial<CourierClientOptions> & { storage?: ClientStorage; network?: FakeNetwork } = {},
) {
  const storage = options.storage ?? new MemoryStorage();
  if ((await storage.loadSession()) === undefined) await storage.saveSession(session);
  const network = options.network ?? new FakeNetwork();
  network.autoOpen = true;
  const client = new CourierClient({
    url: "http://courier.test",
    fetch: noFetch,
    backoff: { minMs: 1, maxMs: 5 },
    ...options,
    storage,
    WebSocket: network.WebSocket,
  });
  live.push(client);
  await client.restore();
  const events: Array<{ [K in keyof ClientEvents]: [K, ClientEvents[K]] }[keyof ClientEvents]> = [];
  for (const name of [
    "state",
    "message",
    "status",
    "receipt",
    "group_receipt",
    "typing",
    "presence",
    "synced",
    "error",
    "auth_failed",
  ] as const) {
    client.on(name, (value) => events.push([name, value] as never));
  }
  const of = <K extends keyof ClientEvents>(name: K): ClientEvents[K][] =>
    events.filter((e) => e[0] === name).map((e) => e[1] as ClientEvents[K]);

  /** Connects (or waits for the reconnect) and completes the handshake on the new socket. */
  async function online(): Promise<FakeSocket> {
    const before = network.sockets.length;
    if (client.state === "offline") await client.connect();
    for (let i = 0; i < 200 && network.sockets.length === before; i++) await settle(1);
    const socket = network.last;
    await socket.waitFor((f) => f.t === "auth");
    socket.deliver([ready, { t: "synced" }]);
    await settle();
    return socket;
  }

  return { client, storage, network, events, of, online };
}
