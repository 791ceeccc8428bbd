import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { directConversationId } from "@courier/protocol";
import { Cluster } from "./support/cluster.ts";
import { natsSkip, natsUrl } from "./support/nats.ts";
import { eventually, Peer } from "./support/peer.ts";
import { freshDatabase, postgresSkip, type TestDatabase } from "./support/postgres.ts";

/**
 * Three Courier nodes (child processes) on one PostgreSQL database and the machine's NATS:
 * users connected to different nodes chat, receipts and a user's other devices cross nodes.
 */

const skip = (await postgresSkip()) || (await natsSkip());

describe("cluster: three nodes on PostgreSQL + NATS", { skip, timeout: 120_000 }, () => {
  let db: TestDatabase;
  let cluster: Cluster;
  before(async () => {
    db = await freshDatabase();
    cluster = await Cluster.start({ nodes: 3, databaseUrl: db.url, natsUrl });
  });
  after(async () => {
    Peer.disconnectAll();
    await cluster?.stop();
    await db?.drop();
  });

  /** A device connected to node `n` only. */
  const on = (n: number) => {
    const url = cluster.nodes[n]?.url as string;
    return new Peer({ url, wsUrls: [url] });
  };

  test("users on different nodes chat; receipts and the sender's other device cross nodes", async () => {
    const alice = await on(0).register("alice");
    const bob = await on(1).register("bob");
    const alice2 = await on(2).login("alice");
    await Promise.all([alice.online(), bob.online(), alice2.online()]);
    const conv = directConversationId(alice.user.id, bob.user.id);

    const cid = await alice.send({ to: bob.user.id }, "hello from node 0");
    await eventually(() => {
      assert.deepEqual(
        bob.receivedFrom(alice.user.id).map((m) => m.cid),
        [cid],
      );
      // The sender's other device, on a third node, gets the message too.
      assert.deepEqual(
        alice2.receivedFrom(alice.user.id).map((m) => m.cid),
        [cid],
      );
      // Bob's device acked it on node 1: Alice on node 0 sees two ticks.
      assert.equal(alice.status.get(cid), "delivered");
    });

    const seq = bob.received[0]?.seq as number;
    await bob.client.markRead(conv, seq);
    await eventually(() => assert.equal(alice.status.get(cid), "read"));

    const reply = await bob.send({ conv }, "hello back from node 1");
    await eventually(() => {
      assert.deepEqual(
        alice.receivedFrom(bob.user.id).map((m) => m.cid),
        [reply],
      );
      assert.deepEqual(
        alice2.receivedFrom(bob.user.id).map((m) => m.cid),
        [reply],
      );
    });
    for (const p of [alice, bob, alice2]) p.client.disconnect();
  });

  test("a device that was away gets what it missed, in order, from another node", async () => {
    const carol = await on(0).register("carol");
    // Dave's device connects to node 1 first, to node 2 on its next connect.
    const urls = [cluster.nodes[1]?.url as string, cluster.nodes[2]?.url as string];
    const dave = await new Peer({ url: urls[0] as string, wsUrls: urls }).register("dave");
    await Promise.all([carol.online(), dave.online()]);
    dave.client.disconnect();
    const conv = directConversationId(carol.user.id, dave.user.id);
    const cids: string[] = [];
    for (let i = 0; i < 20; i++) cids.push(await carol.send({ to: dave.user.id }, `m${i}`));
    await eventually(() => assert.equal(carol.acked.size, 20));

    // The same device (same storage, same token) comes back, now on node 2.
    await dave.online();
    await eventually(() => {
      const got = dave.receivedFrom(carol.user.id, conv);
      assert.deepEqual(
        got.map((m) => m.cid),
        cids,
      );
      assert.deepEqual(
        got.map((m) => m.seq),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });
    carol.client.disconnect();
    dave.client.disconnect();
  });

  test("presence is visible across nodes", async () => {
    const erin = await on(0).register("erin");
    const frank = await on(1).register("frank");
    await erin.online();
    // Once stored, the message makes them contacts: presence goes to contacts only.
    const hi = await erin.send({ to: frank.user.id }, "hi");
    await eventually(() => assert.ok(erin.acked.has(hi)));
    const seen: boolean[] = [];
    erin.client.on("presence", (p) => {
      if (p.user === frank.user.id) seen.push(p.online);
    });
    await frank.online();
    await eventually(() => assert.equal(seen.at(-1), true));
    frank.client.disconnect();
    await eventually(() => assert.equal(seen.at(-1), false));
    erin.client.disconnect();
  });
});
