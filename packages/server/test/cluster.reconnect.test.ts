import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { directConversationId, type ServerFrame } from "@courier/protocol";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { NatsServer, natsSkip } from "./support/nats.ts";
import { freshDatabase, postgresSkip, type TestDatabase } from "./support/postgres.ts";
import { RawSocket } from "./support/raw-socket.ts";

/**
 * Events published while the bus is cut off are lost (the bus is at-most-once). When NATS comes
 * back, every node resyncs its live connections from their cursors, in place, so a message
 * stored during the outage still reaches its recipient on another node, with no reconnect.
 */

const skip = (await postgresSkip()) || (await natsSkip());

type Msg = Extract<ServerFrame, { t: "msg" }>;
const isMsg = (f: ServerFrame): f is Msg => f.t === "msg";

describe("cluster: a NATS outage", { skip, timeout: 60_000 }, () => {
  let db: TestDatabase;
  let nats: NatsServer;
  let nodes: TestCourier[] = [];
  before(async () => {
    db = await freshDatabase();
    nats = await NatsServer.start();
    const env = { COURIER_DATABASE_URL: db.url, COURIER_NATS_URL: nats.url };
    nodes = [await startCourier(env), await startCourier(env)];
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await nats?.stop();
    await db?.drop();
  });

  test("after NATS is back, nodes resync their clients in place: what was lost arrives, once", async () => {
    const [n0, n1] = nodes as [TestCourier, TestCourier];
    const alice = await register(n0.url);
    const bob = await register(n1.url);
    const conv = directConversationId(alice.user.id, bob.user.id);
    const sa = await RawSocket.authed(n0.url, alice.token);
    const sb = await RawSocket.authed(n1.url, bob.token);
    sa.sendText({ cid: "before", to: bob.user.id, text: "1" });
    await sb.waitFor((f) => isMsg(f) && f.cid === "before");

    // NATS goes away. Alice's message is stored and acked by node 0 (the store is up), but the
    // event that would carry it to node 1 cannot get through.
    await nats.kill();
    await new Promise((r) => setTimeout(r, 300));
    sa.sendJson({ t: "send", cid: "during", conv, content: { type: "text", text: "2" } });
    const sent = await sa.waitFor((f) => f.t === "sent" && f.cid === "during");
    assert.equal(sent.t === "sent" && sent.seq, 2);

    const synced = (s: RawSocket) => s.frames.filter((f) => f.t === "synced").length;
    await nats.restart();
    // Bob's socket, still open, gets the message it missed, then `synced` again.
    const during = await sb.waitFor((f): f is Msg => isMsg(f) && f.cid === "during", 15_000);
    assert.equal(during.seq, 2);
    await sb.waitFor(() => synced(sb) === 2);
    assert.equal(sb.frames.filter((f) => isMsg(f) && f.cid === "during").length, 1, "once");
    // Each node resyncs when it is back itself: node 0 too, before it routes live again.
    await sa.waitFor(() => synced(sa) === 2, 15_000);
    assert.equal(sb.closeCode, undefined, "nobody was disconnected");
    assert.equal(sa.closeCode, undefined);
    // The sockets carry the conversation live again.
    sa.sendJson({ t: "send", cid: "after", conv, content: { type: "text", text: "3" } });
    await sb.waitFor((f) => isMsg(f) && f.cid === "after");
    sa.close();
    sb.close();
  });
});
