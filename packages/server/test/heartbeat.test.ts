import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { CloseCode } from "@courier/protocol";
import WebSocket from "ws";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";

let courier: TestCourier;
before(async () => {
  courier = await startCourier({ COURIER_HEARTBEAT_MS: "150" });
});
after(() => courier.stop());

/** Opens an authenticated socket; `answerPings: false` makes it a peer that went silent. */
async function open(token: string, answerPings: boolean) {
  const ws = new WebSocket(`${courier.url.replace(/^http/, "ws")}/ws`, { autoPong: answerPings });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ t: "auth", token }));
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  return { ws, closed };
}

it("closes a connection that stops answering heartbeats (4004) and keeps one that answers", async () => {
  const silent = await register(courier.url);
  const alive = await register(courier.url);
  const a = await open(silent.token, false);
  const b = await open(alive.token, true);
  assert.equal(await a.closed, CloseCode.heartbeatTimeout);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.ws.readyState, WebSocket.OPEN, "a peer that answers pings stays connected");
  const metrics = await (await fetch(`${courier.url}/metrics`)).text();
  assert.match(metrics, /^courier_connections 1$/m, "the silent one was cleaned up");
  b.ws.close();
});
