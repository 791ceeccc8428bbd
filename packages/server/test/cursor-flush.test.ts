import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServerFrame } from "@courier/protocol";
import { SqliteStore } from "../src/store/store.sqlite.ts";
import type { CursorMove } from "../src/store/store.ts";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { courierRecordingMoves } from "./support/hooked-store.ts";
import { RawSocket } from "./support/raw-socket.ts";

type Msg = Extract<ServerFrame, { t: "msg" }>;

/**
 * Acks gather for COURIER_CURSOR_FLUSH_MS before one store write (long here, so that acks sent
 * tens of milliseconds apart fall in one window on any machine), while each receipt goes out at
 * once, and what is still waiting is stored when the server shuts down.
 */
describe("cursor moves gather before one store write", () => {
  let courier: TestCourier;
  let calls: CursorMove[][];
  let stop: () => Promise<void>;
  before(async () => {
    ({ courier, calls, stop } = await courierRecordingMoves({ COURIER_CURSOR_FLUSH_MS: "400" }));
  });
  after(() => stop());

  it("stores acks from several ticks in one call, and announces each receipt at once", async () => {
    const a = await register(courier.url);
    const b = await register(courier.url);
    const sa = await RawSocket.authed(courier.url, a.token);
    const sb = await RawSocket.authed(courier.url, b.token);
    calls.length = 0;
    for (const cid of ["m1", "m2", "m3"]) {
      sa.sendJson({ t: "send", cid, to: b.user.id, content: { type: "text", text: cid } });
      const msg = await sb.waitFor((f): f is Msg => f.t === "msg" && f.cid === cid);
      sb.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
      // The receipt does not wait for the store write.
      await sa.waitFor((f) => f.t === "receipt" && f.delivered === msg.seq);
      await sleep(30);
    }
    assert.equal(calls.length, 0, "nothing stored yet: the window is still open");
    await sleep(600);
    assert.equal(calls.length, 1, "one store call for the three acks");
    assert.equal(calls[0]?.length, 1, "coalesced: one move per device and conversation");
    assert.equal(calls[0]?.[0]?.delivered, 3);
    sa.close();
    sb.close();
  });
});

describe("cursor moves still waiting at shutdown", () => {
  // A plain direct ack waits in the ack window when that is the longer one, else with the rest.
  for (const [window, env] of [
    ["the cursor window", { COURIER_CURSOR_FLUSH_MS: "60000" }],
    ["the ack window", { COURIER_ACK_FLUSH_MS: "60000" }],
  ] as const) {
    it(`are stored before the store closes (${window})`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "courier-flush-"));
      try {
        const courier = await startCourier({ COURIER_DATA_DIR: dir, ...env });
        const a = await register(courier.url);
        const b = await register(courier.url);
        const sa = await RawSocket.authed(courier.url, a.token);
        const sb = await RawSocket.authed(courier.url, b.token);
        sa.sendText({ cid: "last", to: b.user.id, text: "x" });
        const msg = await sb.waitFor((f): f is Msg => f.t === "msg" && f.cid === "last");
        sb.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
        await sa.waitFor((f) => f.t === "receipt" && f.delivered === msg.seq);
        await courier.stop(); // long before the 60 s window ends
        const reopened = await SqliteStore.open({ dataDir: dir });
        try {
          const [row] = await reopened.conversationsOf(a.user.id);
          assert.equal(row?.others[0]?.delivered, msg.seq);
        } finally {
          await reopened.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
