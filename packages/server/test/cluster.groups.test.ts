import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type AuthResponse, ErrorCode, type GroupInfo, type ServerFrame } from "@courier/protocol";
import { inlineMessageChars } from "../src/delivery/fanout.ts";
import { api, register } from "./support/accounts.ts";
import { Cluster } from "./support/cluster.ts";
import { notifiedThenPulled } from "./support/large-group.ts";
import { natsSkip, natsUrl } from "./support/nats.ts";
import { freshDatabase, postgresSkip, type TestDatabase } from "./support/postgres.ts";
import { RawSocket } from "./support/raw-socket.ts";

/**
 * Groups across three nodes on PostgreSQL + NATS. Members sit on different nodes; a change made
 * through one node must hold on the others at once (every node caches member lists, and drops
 * them on the `_cluster` bus key), and a large group's notifies (bus key `g:<conv>`) must reach
 * members on every node. COURIER_LARGE_GROUP=3: up to three members a group is small (fan-out
 * on write, one member per node), from four it is large (notify, then pull).
 */

const skip = (await postgresSkip()) || (await natsSkip());

type Msg = Extract<ServerFrame, { t: "msg" }>;
type Sent = Extract<ServerFrame, { t: "sent" }>;
const isMsg = (f: ServerFrame): f is Msg => f.t === "msg";

describe("cluster: groups across nodes", { skip, timeout: 120_000 }, () => {
  let db: TestDatabase;
  let cluster: Cluster;
  const sockets: RawSocket[] = [];
  before(async () => {
    db = await freshDatabase();
    cluster = await Cluster.start({
      nodes: 3,
      databaseUrl: db.url,
      natsUrl,
      env: { COURIER_LARGE_GROUP: "3", COURIER_GROUP_RECEIPT_MS: "50" },
    });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cluster?.stop();
    await db?.drop();
  });

  const node = (n: number) => cluster.nodes[n]?.url as string;
  /** A socket of `user` on node `n`, authenticated and synced. */
  const connect = async (n: number, user: AuthResponse) => {
    const socket = await RawSocket.authed(node(n), user.token);
    sockets.push(socket);
    return socket;
  };
  const users = (n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => register(node(i % 3))));
  const path = (id: string, rest = "") => `/api/groups/${encodeURIComponent(id)}${rest}`;

  async function createGroup(
    n: number,
    owner: AuthResponse,
    name: string,
    members: AuthResponse[],
  ) {
    const res = await api(node(n), owner.token, "POST", "/api/groups", {
      name,
      members: members.map((m) => m.user.id),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as GroupInfo;
  }

  async function send(socket: RawSocket, conv: string, cid: string, text = cid): Promise<Sent> {
    socket.sendJson({ t: "send", cid, conv, content: { type: "text", text } });
    return socket.waitFor((f): f is Sent => f.t === "sent" && f.cid === cid);
  }

  test("small group: members on three nodes get messages, receipts and membership changes", async () => {
    const [a, b, c, d] = await users(4);
    const [sa, sb, sc] = [await connect(0, a!), await connect(1, b!), await connect(2, c!)];
    const group = await createGroup(0, a!, "Spread", [b!, c!]);
    for (const s of [sb, sc]) {
      await s.waitFor((f) => isMsg(f) && f.conv === group.id && f.content.type === "system");
    }

    // Every node now caches the member list (each one routed a message of the group).
    const first = await send(sb, group.id, "from-b");
    await sa.waitFor((f) => isMsg(f) && f.cid === "from-b");
    await sc.waitFor((f) => isMsg(f) && f.cid === "from-b");
    await send(sc, group.id, "from-c");
    await sa.waitFor((f) => isMsg(f) && f.cid === "from-c");

    // Receipts aggregate across nodes: two ticks for B once A (node 0) and C (node 2) acked.
    sa.sendJson({ t: "ack", conv: group.id, seq: first.seq });
    sc.sendJson({ t: "ack", conv: group.id, seq: first.seq });
    await sb.waitFor(
      (f) => f.t === "group_receipt" && f.conv === group.id && f.delivered >= first.seq,
    );

    // A removes C through node 0; node 2, where C is connected, must refuse C's next send.
    const removed = await api(
      node(0),
      a!.token,
      "DELETE",
      path(group.id, `/members/${c!.user.id}`),
    );
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    await sc.waitFor(
      (f) =>
        isMsg(f) &&
        f.conv === group.id &&
        f.content.type === "system" &&
        f.content.event === "removed",
    );
    sc.sendText({ cid: "c-after", conv: group.id, text: "x" });
    await sc.waitFor(
      (f) => f.t === "error" && f.ref === "c-after" && f.code === ErrorCode.notMember,
    );

    // A adds D (connected to node 0) through node 0; B's next send through node 1 reaches D and
    // no longer reaches C on node 2.
    const sd = await connect(0, d!);
    const added = await api(node(0), a!.token, "POST", path(group.id, "/members"), {
      users: [d!.user.id],
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await sb.waitFor(
      (f) =>
        isMsg(f) &&
        f.conv === group.id &&
        f.content.type === "system" &&
        f.content.event === "added",
    );
    await send(sb, group.id, "after-changes");
    await sd.waitFor((f) => isMsg(f) && f.cid === "after-changes");
    await sa.waitFor((f) => isMsg(f) && f.cid === "after-changes");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      sc.frames.some((f) => isMsg(f) && f.cid === "after-changes"),
      false,
      "a removed member on another node gets nothing more",
    );

    // A rename through node 2 (by B, a member) reaches everyone as a system message.
    const renamed = await api(node(2), b!.token, "PATCH", path(group.id), { name: "Renamed" });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    await sd.waitFor(
      (f) => isMsg(f) && f.content.type === "system" && f.content.event === "renamed",
    );
  });

  test("large group: one event per message reaches members on every node; changes follow them", async () => {
    const people = await users(6);
    const [owner, m1, m2, m3, m4, late] = people as AuthResponse[];
    // Owner on node 0, members spread over nodes 1 and 2 (online before the group exists).
    const so = await connect(0, owner!);
    const online = [await connect(1, m1!), await connect(2, m2!), await connect(1, m3!)];
    const group = await createGroup(0, owner!, "Town hall", [m1!, m2!, m3!, m4!]);
    // The change's own notify rides with the join, so it reaches members on every node even
    // before their node's subscription to the group's topic is in effect.
    for (const s of online) {
      await s.waitFor((f) => f.t === "notify" && f.conv === group.id && f.seq === 1);
    }

    // Too big to ride inline: a notify, and members pull.
    const sent = await send(so, group.id, "big1", "x".repeat(inlineMessageChars));
    await notifiedThenPulled(online, group.id, "big1", sent.seq);

    // A member connecting after the group was created (to node 2) subscribes to its notifies
    // on connect; a member on node 1 sends, the owner on node 0 and m4 on node 2 hear of it.
    const s4 = await connect(2, m4!);
    assert.ok(
      s4.frames.some((f) => isMsg(f) && f.cid === "big1"),
      "synced on connect",
    );
    // A small message rides in the group's event itself, once to every member on every node.
    const fromM1 = await send(online[0]!, group.id, "big2");
    for (const s of [so, s4, online[1]!, online[2]!]) {
      await s.waitFor((f) => isMsg(f) && f.cid === "big2" && f.seq === fromM1.seq);
    }

    // The owner adds `late` (online on node 2) through node 0: `late` starts getting notifies.
    // The owner removes m2 (node 2) through node 1: m2 stops getting them and cannot pull.
    const sl = await connect(2, late!);
    const added = await api(node(0), owner!.token, "POST", path(group.id, "/members"), {
      users: [late!.user.id],
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const removed = await api(
      node(1),
      owner!.token,
      "DELETE",
      path(group.id, `/members/${m2!.user.id}`),
    );
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    await online[1]!.waitFor(
      (f) =>
        isMsg(f) &&
        f.conv === group.id &&
        f.content.type === "system" &&
        f.content.event === "removed",
    );
    const big3 = await send(online[2]!, group.id, "big3");
    await sl.waitFor((f) => isMsg(f) && f.cid === "big3" && f.seq === big3.seq);
    sl.sendJson({ t: "pull", conv: group.id, after: 0 });
    await sl.waitFor((f) => f.t === "pulled" && f.conv === group.id);
    assert.equal(
      sl.frames.some((f) => isMsg(f) && f.cid === "big1"),
      false,
      "nothing from before the join",
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      online[1]!.frames.some((f) => (f.t === "notify" || isMsg(f)) && f.seq >= big3.seq),
      false,
      "nothing after removal",
    );
    online[1]!.sendJson({ t: "pull", conv: group.id, after: 0 });
    await online[1]!.waitFor((f) => f.t === "error" && f.code === ErrorCode.notMember);
  });
});
