import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { ConnectionManager, type ConnectionOptions } from "../src/connection.ts";
import { FakeNetwork } from "../src/testing.ts";
import type { AuthFailure, ConnectionState } from "../src/types.ts";

const ready: ServerFrame = {
  t: "ready",
  user: { id: "u1", username: "ann", displayName: "Ann" },
  device: "d1",
  time: 0,
};

function setup(options: Partial<ConnectionOptions> = {}) {
  const network = new FakeNetwork();
  const states: ConnectionState[] = [];
  const failures: AuthFailure[] = [];
  const received: ServerFrame[][] = [];
  let token: string | undefined = "tok";
  const conn = new ConnectionManager({
    url: "ws://courier.test/ws",
    WebSocket: network.WebSocket,
    token: () => token,
    onFrames: (frames) => received.push(frames),
    backoff: { minMs: 1000, maxMs: 8000, random: () => 0.5 },
    heartbeatIntervalMs: 10_000,
    heartbeatTimeoutMs: 25_000,
    authTimeoutMs: 5000,
    ...options,
  });
  conn.events.on("state", (s) => states.push(s));
  conn.events.on("auth_failed", (f) => failures.push(f));
  /** Opens the latest socket and walks it through ready and synced. */
  const online = () => {
    network.last.open();
    network.last.deliver([ready, { t: "synced" }]);
  };
  return {
    network,
    states,
    failures,
    received,
    conn,
    online,
    setToken(t: string | undefined) {
      token = t;
    },
  };
}

describe("ConnectionManager", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] }));
  afterEach(() => mock.timers.reset());

  it("goes offline → connecting → authenticating → syncing → online, auth frame first", () => {
    const t = setup();
    t.conn.connect();
    assert.equal(t.network.sockets.length, 1);
    assert.equal(t.network.last.url, "ws://courier.test/ws");
    t.network.last.open();
    assert.deepEqual(t.network.last.frames, [{ t: "auth", token: "tok" }]);
    assert.equal(t.conn.ready, false);
    assert.equal(t.conn.write("x"), false, "nothing but auth before ready");
    t.network.last.deliver(ready);
    assert.equal(t.conn.ready, true);
    t.network.last.deliver({ t: "synced" });
    assert.deepEqual(t.states, ["connecting", "authenticating", "syncing", "online"]);
    assert.deepEqual(
      t.received.map((b) => b.map((f) => f.t)),
      [["ready"], ["synced"]],
    );
  });

  it("splits a server array into frames and ignores messages that are not JSON", () => {
    const t = setup();
    t.conn.connect();
    t.online();
    t.network.last.onmessage?.({ data: "not json" });
    t.network.last.deliver([
      { t: "typing", conv: "c", user: "u2", on: true },
      { t: "pong", time: 1 },
    ]);
    assert.deepEqual(
      t.received.at(-1)?.map((f) => f.t),
      ["typing", "pong"],
    );
  });

  it("reconnects after a drop with growing full-jitter delays, reset once online", () => {
    const t = setup();
    t.conn.connect();
    t.network.last.serverClose(1006);
    assert.equal(t.conn.state, "offline");
    mock.timers.tick(499);
    assert.equal(t.network.sockets.length, 1, "first delay: 0.5 × 1000 ms");
    mock.timers.tick(1);
    assert.equal(t.network.sockets.length, 2);
    t.network.last.serverClose(1006);
    mock.timers.tick(999);
    assert.equal(t.network.sockets.length, 2, "second delay: 0.5 × 2000 ms");
    mock.timers.tick(1);
    assert.equal(t.network.sockets.length, 3);
    t.online();
    t.network.last.serverClose(1001);
    mock.timers.tick(500);
    assert.equal(t.network.sockets.length, 4, "back to the first window after reaching online");
  });

  it("stops for good on terminal close codes and reports auth_failed", () => {
    for (const code of [4001, 4003]) {
      const t = setup();
      t.conn.connect();
      t.online();
      t.network.last.serverClose(code, "revoked");
      mock.timers.tick(60_000);
      assert.equal(t.network.sockets.length, 1, `no reconnect after ${code}`);
      assert.deepEqual(t.failures, [{ code, reason: "revoked" }]);
      assert.equal(t.conn.state, "offline");
    }
  });

  it("retries on the other application close codes", () => {
    for (const code of [4002, 4004, 4008, 4029, 1000, 1009]) {
      const t = setup();
      t.conn.connect();
      t.online();
      t.network.last.serverClose(code);
      mock.timers.tick(8000);
      assert.equal(t.network.sockets.length, 2, `reconnected after ${code}`);
      assert.deepEqual(t.failures, []);
    }
  });

  it("pings every interval and reconnects when nothing arrived for the timeout", () => {
    const t = setup();
    t.conn.connect();
    t.online();
    const socket = t.network.last;
    mock.timers.tick(10_000);
    assert.deepEqual(socket.framesOf("ping").length, 1);
    socket.deliver({ t: "pong", n: 1, time: 0 });
    mock.timers.tick(10_000);
    mock.timers.tick(10_000);
    assert.equal(socket.framesOf("ping").length, 3, "a live connection just pings");
    assert.equal(t.network.sockets.length, 1);
    mock.timers.tick(10_000); // 30 s since the last frame > 25 s
    assert.ok(socket.closedWith, "the silent socket was closed");
    assert.equal(t.conn.state, "offline");
    mock.timers.tick(1000);
    assert.equal(t.network.sockets.length, 2, "and replaced");
  });

  it("gives up on a socket that does not get `ready` in time", () => {
    const t = setup();
    t.conn.connect();
    t.network.last.open();
    mock.timers.tick(5000);
    assert.ok(t.network.last.closedWith);
    mock.timers.tick(1000);
    assert.equal(t.network.sockets.length, 2);
  });

  it("gives up on a socket that never opens", () => {
    const t = setup();
    t.conn.connect();
    mock.timers.tick(5000);
    assert.ok(t.network.last.closedWith);
    assert.equal(t.conn.state, "offline");
    mock.timers.tick(1000);
    assert.equal(t.network.sockets.length, 2);
  });

  it("disconnect() closes and stops reconnecting until connect()", () => {
    const t = setup();
    t.conn.connect();
    t.online();
    t.conn.disconnect();
    assert.equal(t.network.last.closedWith?.code, 1000);
    assert.equal(t.conn.state, "offline");
    mock.timers.tick(60_000);
    assert.equal(t.network.sockets.length, 1);
    t.conn.connect();
    assert.equal(t.network.sockets.length, 2);
  });

  it("follows the host's network hint: down closes now, up reconnects now", () => {
    const t = setup();
    t.conn.connect();
    t.online();
    t.conn.setNetworkAvailable(false);
    assert.ok(t.network.last.closedWith);
    assert.equal(t.conn.state, "offline");
    mock.timers.tick(60_000);
    assert.equal(t.network.sockets.length, 1, "no attempts while the network is down");
    t.conn.setNetworkAvailable(true);
    assert.equal(t.network.sockets.length, 2, "no backoff delay after the network returns");
  });

  it("skips a pending backoff delay when the network comes back", () => {
    const t = setup();
    t.conn.connect();
    for (let i = 0; i < 3; i++) {
      t.network.last.serverClose(1006);
      mock.timers.tick(8000);
    }
    t.network.last.serverClose(1006);
    t.conn.setNetworkAvailable(false);
    t.conn.setNetworkAvailable(true);
    assert.equal(t.network.sockets.length, 5);
  });

  it("does not connect without a token", () => {
    const t = setup();
    t.setToken(undefined);
    t.conn.connect();
    assert.equal(t.network.sockets.length, 0);
    assert.equal(t.conn.state, "offline");
  });

  it("ignores events of a socket it already dropped", () => {
    const t = setup();
    t.conn.connect();
    t.online();
    const old = t.network.last;
    t.conn.restart("test");
    mock.timers.tick(1000);
    t.online();
    const before = t.received.length;
    old.deliver({ t: "synced" });
    assert.equal(t.received.length, before);
  });
});
