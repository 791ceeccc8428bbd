import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { CourierClient, type LocalMessage, type MessageStatus } from "@courier/client";
import { startCourier, type TestCourier } from "./support/courier.ts";

/**
 * The delivery guarantees through the SDK against the real server: receipts that reach an
 * offline sender, a burst of 1,000 messages with both sides losing their connection and the
 * server restarting in the middle, and several devices per user.
 */
describe("delivery through the SDK", () => {
  let courier: TestCourier;
  const clients: CourierClient[] = [];
  let n = 0;

  before(async () => {
    courier = await startCourier({ COURIER_RATE_LIMIT: "5000", COURIER_RATE_BURST: "5000" });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  after(() => courier.stop());

  function client(url = courier.url): CourierClient {
    const c = new CourierClient({ url, backoff: { minMs: 20, maxMs: 200 } });
    clients.push(c);
    return c;
  }

  async function online(c: CourierClient): Promise<CourierClient> {
    const synced = c.once("synced");
    await c.connect();
    await synced;
    return c;
  }

  async function registered(
    name: string,
  ): Promise<{ c: CourierClient; username: string; id: string }> {
    const c = client();
    const username = `${name}${process.pid % 10_000}_${++n}`;
    await c.register({ username, password: "correct horse battery", displayName: name });
    await online(c);
    return { c, username, id: c.session?.user.id as string };
  }

  /** Resolves when every cid has reached `status` (or beyond). */
  function statuses(c: CourierClient) {
    const latest = new Map<string, MessageStatus>();
    const rank: Record<MessageStatus, number> = {
      failed: -1,
      pending: 0,
      sent: 1,
      delivered: 2,
      read: 3,
      received: 3,
    };
    c.on("status", (m) => latest.set(m.cid, m.status));
    return {
      latest,
      async all(cids: string[], status: MessageStatus, ms = 30_000) {
        const deadline = Date.now() + ms;
        while (!cids.every((cid) => rank[latest.get(cid) ?? "pending"] >= rank[status])) {
          if (Date.now() > deadline) {
            const behind = cids.filter((cid) => rank[latest.get(cid) ?? "pending"] < rank[status]);
            throw new Error(`${behind.length} of ${cids.length} not ${status}`);
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    };
  }

  it("a receipt that happens while the sender is offline reaches it on reconnect", async () => {
    const alice = await registered("alice");
    const bob = await registered("bob");
    const ticks = statuses(alice.c);
    const arrived = bob.c.once("message");
    const m = await alice.c.send({ to: bob.id }, { type: "text", text: "read this later" });
    await ticks.all([m.cid], "sent");
    alice.c.disconnect();
    const got = await arrived;
    await bob.c.markRead(got.conv, got.seq as number);
    await new Promise((r) => setTimeout(r, 200));
    assert.notEqual(ticks.latest.get(m.cid), "read", "alice was away when bob read it");
    await online(alice.c);
    await ticks.all([m.cid], "read", 5000);
    const [stored] = await alice.c.messages(m.conv);
    assert.equal(stored?.status, "read");
  });

  it("1,000 messages with both sides dropping and the server restarting mid-burst: none lost, none doubled, in order", async () => {
    const alice = await registered("alice");
    const bob = await registered("bob");
    const ticks = statuses(alice.c);
    const received: LocalMessage[] = [];
    bob.c.on("message", (m) => received.push(m));
    const total = 1000;
    const sent: LocalMessage[] = [];
    for (let i = 0; i < total; i++) {
      sent.push(await alice.c.send({ to: bob.id }, { type: "text", text: `m${i}` }));
      if (i === 200) alice.c.setNetworkAvailable(false);
      if (i === 300) alice.c.setNetworkAvailable(true);
      if (i === 400) bob.c.setNetworkAvailable(false);
      if (i === 550) bob.c.setNetworkAvailable(true);
      if (i === 700) {
        // Everyone loses the server: a restart on the same port and data.
        const port = courier.port;
        await courier.close();
        courier = await startCourier({
          PORT: String(port),
          COURIER_DATA_DIR: courier.dataDir,
          COURIER_RATE_LIMIT: "5000",
          COURIER_RATE_BURST: "5000",
        });
      }
    }
    await ticks.all(
      sent.map((m) => m.cid),
      "delivered",
      60_000,
    );
    await bob.c.idle();
    const texts = received.map((m) => (m.content.type === "text" ? m.content.text : ""));
    assert.equal(received.length, total, "exactly once");
    assert.deepEqual(
      texts,
      sent.map((_, i) => `m${i}`),
      "in the order sent",
    );
    assert.deepEqual(
      received.map((m) => m.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.equal(new Set(received.map((m) => m.id)).size, total);
    const stored = await courier.store.messagesAfter(sent[0]!.conv, 0, 2000);
    assert.equal(stored.length, total, "the server stored each once");
  });

  it("every device of a user gets every message, and receipts reach all of the sender's devices", async () => {
    const alice = await registered("alice");
    const bob = await registered("bob");
    const alice2 = client();
    await alice2.login({ username: alice.username, password: "correct horse battery" });
    await online(alice2);
    const bob2 = client();
    await bob2.login({ username: bob.username, password: "correct horse battery" });
    await online(bob2);

    const atBob = [bob.c.once("message"), bob2.once("message")];
    const atAlice2 = alice2.once("message");
    const m = await alice.c.send({ to: bob.id }, { type: "text", text: "to all of you" });
    for (const got of [...(await Promise.all(atBob)), await atAlice2]) {
      assert.equal(got.cid, m.cid);
      assert.equal(got.from, alice.id);
    }
    // Listen before sending: bob's other device gets his own message too.
    const reply = [alice.c.once("message"), alice2.once("message"), bob.c.once("message")];
    const r = await bob2.send({ conv: m.conv }, { type: "text", text: "from my laptop" });
    for (const got of await Promise.all(reply)) assert.equal(got.cid, r.cid);

    // Bob reads on one device: alice's first device sees blue ticks, and so does her second.
    const ticks = statuses(alice.c);
    const read = alice2.once("receipt", (rc) => rc.read >= 1);
    await bob.c.markRead(m.conv, 2);
    await ticks.all([m.cid], "read", 5000);
    assert.equal((await read).user, bob.id);
  });
});
