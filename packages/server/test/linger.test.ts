import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { RawSocket } from "./support/raw-socket.ts";

type Sent = Extract<ServerFrame, { t: "sent" }>;
type Msg = Extract<ServerFrame, { t: "msg" }>;

/**
 * In a direct conversation `sent` may wait (COURIER_SENT_LINGER_MS) for the delivered receipt,
 * so both reach the sender in one WebSocket message. The linger is long here so that the
 * recipient's ack arrives within it even on a loaded machine.
 */
describe("sent lingers for its receipt", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier({ COURIER_SENT_LINGER_MS: "300" });
  });
  after(() => courier.stop());

  it("sends sent and the delivered receipt in one write when the recipient acks in time", async () => {
    const [alice, bob] = [await register(courier.url), await register(courier.url)];
    const sa = await RawSocket.authed(courier.url, alice!.token);
    const sb = await RawSocket.authed(courier.url, bob!.token);
    sa.sendText({ cid: "l1", to: bob!.user.id, text: "hi" });
    const msg = await sb.waitFor((f): f is Msg => f.t === "msg" && f.cid === "l1");
    sb.sendJson({ t: "ack", conv: msg.conv, seq: msg.seq });
    const sent = await sa.waitFor((f): f is Sent => f.t === "sent" && f.cid === "l1");
    const together = sa.messages.find((batch) => batch.includes(sent));
    assert.ok(
      together?.some((f) => f.t === "receipt" && f.delivered >= sent.seq),
      `sent came as ${JSON.stringify(together)}`,
    );
    sa.close();
    sb.close();
  });

  it("still sends sent, alone, when no receipt comes", async () => {
    const [alice, bob] = [await register(courier.url), await register(courier.url)];
    const sa = await RawSocket.authed(courier.url, alice!.token);
    sa.sendText({ cid: "l2", to: bob!.user.id, text: "hi" });
    const sent = await sa.waitFor((f): f is Sent => f.t === "sent" && f.cid === "l2");
    assert.deepEqual(
      sa.messages.find((batch) => batch.includes(sent)),
      [sent],
    );
    sa.close();
  });
});
