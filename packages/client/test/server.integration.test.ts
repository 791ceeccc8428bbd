import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Courier, configFromEnv, createCourier } from "@courier/server";
import { CourierClient } from "../src/client.ts";
import type { LocalMessage, MessageStatus } from "../src/types.ts";

/**
 * The SDK against the real server on an ephemeral port, with Node's built-in WebSocket and
 * fetch (the SDK's defaults): the whole delivery flow, offline catch-up, and the REST helpers.
 */
describe("SDK against the real server", () => {
  let courier: Courier;
  let dataDir: string;
  const clients: CourierClient[] = [];
  let n = 0;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "courier-sdk-"));
    courier = await createCourier(
      configFromEnv({
        PORT: "0",
        HOST: "127.0.0.1",
        COURIER_DATA_DIR: dataDir,
        COURIER_ARGON2_MEMORY_KIB: "1024",
        COURIER_ARGON2_TIME_COST: "1",
        COURIER_LOG_LEVEL: "silent",
      }),
    );
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await courier.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A registered, connected and synced client. */
  async function user(name: string): Promise<CourierClient> {
    const client = new CourierClient({ url: courier.url, backoff: { minMs: 10, maxMs: 100 } });
    clients.push(client);
    await client.register({
      username: `${name}${process.pid % 10_000}_${++n}`,
      password: "correct horse battery",
      displayName: name,
    });
    const synced = client.once("synced");
    await client.connect();
    await synced;
    return client;
  }

  /** Resolves when `cid` reaches `status` (checking the history of status events so far). */
  function statusOf(client: CourierClient) {
    const seen = new Map<string, MessageStatus[]>();
    client.on("status", (m) => {
      const list = seen.get(m.cid) ?? [];
      list.push(m.status);
      seen.set(m.cid, list);
    });
    return {
      seen,
      reach: (cid: string, status: MessageStatus) =>
        seen.get(cid)?.includes(status)
          ? Promise.resolve()
          : client.once("status", (m) => m.cid === cid && m.status === status).then(() => {}),
    };
  }

  it("two users chat: ticks go sent → delivered → read", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const aliceStatus = statusOf(alice);
    const bobId = bob.session?.user.id as string;

    const arrived = bob.once("message");
    const sent = await alice.send({ to: bobId }, { type: "text", text: "hello bob" });
    assert.equal(sent.status, "pending");
    await aliceStatus.reach(sent.cid, "sent");
    const received = await arrived;
    assert.equal(received.cid, sent.cid);
    assert.equal(received.conv, sent.conv);
    assert.equal(received.from, alice.session?.user.id);
    assert.deepEqual(received.content, { type: "text", text: "hello bob" });

    await aliceStatus.reach(sent.cid, "delivered");
    await bob.markRead(received.conv, received.seq as number);
    await aliceStatus.reach(sent.cid, "read");
    assert.deepEqual(aliceStatus.seen.get(sent.cid), ["sent", "delivered", "read"]);

    const [stored] = await alice.messages(sent.conv);
    assert.equal(stored?.status, "read", "alice's local copy carries the blue ticks");
    assert.equal((await bob.messages(sent.conv))[0]?.id, received.id);

    // And back: bob's reply arrives at alice in the same conversation.
    const reply = alice.once("message");
    await bob.send({ conv: received.conv }, { type: "text", text: "hi alice" });
    assert.equal((await reply).seq, 2);
  });

  it("a device that was away gets everything it missed, in order, exactly once", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const aliceStatus = statusOf(alice);
    const bobId = bob.session?.user.id as string;
    bob.disconnect();

    const texts = ["one", "two", "three", "four", "five"];
    const sends: LocalMessage[] = [];
    for (const text of texts) sends.push(await alice.send({ to: bobId }, { type: "text", text }));
    await Promise.all(sends.map((m) => aliceStatus.reach(m.cid, "sent")));

    const got: LocalMessage[] = [];
    bob.on("message", (m) => got.push(m));
    const synced = bob.once("synced");
    await bob.connect();
    await synced;
    await bob.idle();
    assert.deepEqual(
      got.map((m) => [m.seq, m.content.type === "text" ? m.content.text : ""]),
      texts.map((t, i) => [i + 1, t]),
    );
    await Promise.all(sends.map((m) => aliceStatus.reach(m.cid, "delivered")));

    // A reconnect does not bring them again.
    bob.disconnect();
    const again = bob.once("synced");
    await bob.connect();
    await again;
    await bob.idle();
    assert.equal(got.length, texts.length);
  });

  it("queues while offline and delivers once the sender is back", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const aliceStatus = statusOf(alice);
    alice.setNetworkAvailable(false);
    assert.equal(alice.state, "offline");
    const m = await alice.send(
      { to: bob.session?.user.id as string },
      { type: "text", text: "from the tunnel" },
    );
    const arrived = bob.once("message");
    alice.setNetworkAvailable(true);
    await aliceStatus.reach(m.cid, "sent");
    assert.equal((await arrived).cid, m.cid);
  });

  it("REST helpers: me, users, conversations, history, devices", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const bobUser = bob.session?.user;
    assert.ok(bobUser);
    assert.deepEqual(await alice.findUser(bobUser.username), bobUser);
    assert.equal(await alice.findUser("nobody_by_that_name"), undefined);
    assert.ok((await alice.searchUsers(bobUser.username)).some((u) => u.id === bobUser.id));
    assert.equal((await alice.updateMe({ displayName: "Alice A." })).displayName, "Alice A.");
    assert.equal((await alice.me()).displayName, "Alice A.");

    const conv = await alice.startConversation(bobUser.id);
    const aliceStatus = statusOf(alice);
    const m = await alice.send({ conv: conv.id }, { type: "text", text: "in history" });
    await aliceStatus.reach(m.cid, "sent");
    const list = await alice.conversations();
    assert.equal(list[0]?.id, conv.id);
    assert.deepEqual(
      (await alice.cachedConversations()).map((c) => c.id),
      list.map((c) => c.id),
    );
    const page = await alice.history(conv.id, { limit: 10 });
    assert.deepEqual(
      page.messages.map((x) => x.cid),
      [m.cid],
    );
    const devices = await alice.devices();
    assert.equal(devices.filter((d) => d.current).length, 1);
    await assert.rejects(
      alice.startConversation("no-such-user"),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "no_such_user");
        return true;
      },
    );
  });

  it("logout revokes the device: its other sessions are refused", async () => {
    const alice = await user("alice");
    const failed = alice.once("auth_failed");
    // Revoke the current device through REST from the same client: the socket closes with 4003.
    await alice.revokeDevice(alice.session?.deviceId as string);
    assert.equal((await failed).code, 4003);
    assert.equal(alice.state, "offline");
  });
});
