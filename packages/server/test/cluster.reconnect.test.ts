import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CloseCode, directConversationId, type ServerFrame } from "@courier/protocol";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { NatsServer, natsSkip } from "./support/nats.ts";
import { freshDatabase, postgresSkip, type TestDatabase } from "./support/postgres.ts";
import { RawSocket } from "./support/raw-socket.ts";

/**
 * Events published while the bus is cut off are lost (the bus is at-most-once). When NATS comes
 * back, every node closes its connections with 1001; clients reconnect and resync from their
 * cursors, so a message stored during the outage still reaches its recipient on another node.
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

  test("after NATS is back, nodes close their sockets with 1001 and clients resync what was lost", async () => {
    const [n0, n1] = nodes as [TestCourier, TestCourier];
    const alice = await register(n0.url);
    const bob = await register(n1.url);
    const conv = directConversationId(alice.user.id, bob.user.id);
    const sa = await RawSocket.authed(n0.url, alice.token);
    const sb = await RawSocket.authed(n1.url, bob.token);
    sa.sendJson({
      t: "send",
      cid: "before",
      to: bob.user.id,
      content: { type: "text", text: "1" },
    });
    await sb.waitFor((f) => isMsg(f) && f.cid === "before");

    // NATS goes away. Alice's message is stored and acked by node 0 (the store is up), but the
    // event that would carry it to node 1 cannot get through.
    await nats.kill();
    await new Promise((r) => setTimeout(r, 300));
    sa.sendJson({ t: "send", cid: "during", conv, content: { type: "text", text: "2" } });
    const sent = await sa.waitFor((f) => f.t === "sent" && f.cid === "during");
    assert.equal(sent.t === "sent" && sent.seq, 2);

    await nats.restart();
    // Both nodes tell their clients to come back; Bob's next session syncs the message.
    assert.equal(await sb.waitForClose(15_000), CloseCode.goingAway);
    assert.equal(await sa.waitForClose(5_000), CloseCode.goingAway);
    const again = await RawSocket.authed(n1.url, bob.token);
    const during = again.frames.filter(isMsg).filter((m) => m.cid === "during");
    assert.equal(during.length, 1, "synced once on reconnect");
    assert.equal(during[0]?.seq, 2);
    again.close();
  });
});
