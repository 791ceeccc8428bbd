import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type AuthResponse, ErrorCode, type GroupInfo, type ServerFrame } from "@courier/protocol";
import { inlineMessageChars } from "../src/delivery/fanout.ts";
import { api, login, register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { notifiedThenPulled } from "./support/large-group.ts";
import { RawSocket } from "./support/raw-socket.ts";

type Msg = Extract<ServerFrame, { t: "msg" }>;
type Sent = Extract<ServerFrame, { t: "sent" }>;
const isMsg = (f: ServerFrame): f is Msg => f.t === "msg";

async function createGroup(
  url: string,
  owner: AuthResponse,
  name: string,
  members: AuthResponse[],
) {
  const res = await api(url, owner.token, "POST", "/api/groups", {
    name,
    members: members.map((m) => m.user.id),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as GroupInfo;
}

function systemEvents(socket: RawSocket, conv: string): string[] {
  return socket.frames
    .filter(isMsg)
    .filter((m) => m.conv === conv && m.content.type === "system")
    .map((m) => (m.content.type === "system" ? m.content.event : ""));
}

async function users(url: string, n: number): Promise<AuthResponse[]> {
  return Promise.all(Array.from({ length: n }, () => register(url)));
}

describe("groups", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier({ COURIER_MAX_GROUP_SIZE: "6", COURIER_GROUP_RECEIPT_MS: "50" });
  });
  after(() => courier.stop());

  it("delivers to every member's devices and aggregates receipts: two ticks when all have it", async () => {
    const [a, b, c] = await users(courier.url, 3);
    const [sa, sb, sc] = await Promise.all(
      [a, b, c].map((u) => RawSocket.authed(courier.url, u!.token)),
    );
    const group = await createGroup(courier.url, a!, "Trip", [b!, c!]);
    assert.equal(group.members.find((m) => m.id === a!.user.id)?.role, "admin");
    for (const s of [sb!, sc!])
      await s.waitFor((f) => isMsg(f) && f.conv === group.id && f.content.type === "system");
    sa!.sendJson({
      t: "send",
      cid: "g1",
      conv: group.id,
      content: { type: "text", text: "hello all" },
    });
    const sent = await sa!.waitFor((f): f is Sent => f.t === "sent" && f.cid === "g1");
    const atB = await sb!.waitFor((f): f is Msg => isMsg(f) && f.cid === "g1");
    await sc!.waitFor((f) => isMsg(f) && f.cid === "g1");
    assert.equal(atB.seq, sent.seq);

    sb!.sendJson({ t: "ack", conv: group.id, seq: sent.seq });
    await new Promise((r) => setTimeout(r, 200));
    const early = sa!.frames.filter((f) => f.t === "group_receipt" && f.delivered >= sent.seq);
    assert.equal(early.length, 0, "not delivered to everyone yet");
    sc!.sendJson({ t: "ack", conv: group.id, seq: sent.seq });
    await sa!.waitFor(
      (f) => f.t === "group_receipt" && f.conv === group.id && f.delivered >= sent.seq,
    );
    sb!.sendJson({ t: "read", conv: group.id, seq: sent.seq });
    sc!.sendJson({ t: "read", conv: group.id, seq: sent.seq });
    await sa!.waitFor((f) => f.t === "group_receipt" && f.read >= sent.seq);

    const info = await api(
      courier.url,
      a!.token,
      "GET",
      `/api/conversations/${encodeURIComponent(group.id)}/messages/${sent.seq}/info`,
    );
    assert.equal(info.status, 200);
    const members = (
      info.body as {
        members: Array<{ user: string; deliveredAt: number | null; readAt: number | null }>;
      }
    ).members;
    assert.deepEqual(members.map((m) => m.user).sort(), [b!.user.id, c!.user.id].sort());
    for (const m of members) {
      assert.ok(m.deliveredAt && m.readAt && m.readAt >= m.deliveredAt, JSON.stringify(m));
    }
    for (const s of [sa, sb, sc]) s!.close();
  });

  it("blue ticks reach a sender who has already read a later reply", async () => {
    const [a, b, c] = await users(courier.url, 3);
    const [sa, sb, sc] = await Promise.all(
      [a, b, c].map((u) => RawSocket.authed(courier.url, u!.token)),
    );
    const group = await createGroup(courier.url, a!, "Race", [b!, c!]);
    const settle = () => new Promise((r) => setTimeout(r, 150)); // > the 50 ms receipt interval
    sa!.sendJson({
      t: "send",
      cid: "mine",
      conv: group.id,
      content: { type: "text", text: "mine" },
    });
    const mine = await sa!.waitFor((f): f is Sent => f.t === "sent" && f.cid === "mine");
    await sb!.waitFor((f) => isMsg(f) && f.cid === "mine");
    sb!.sendJson({ t: "read", conv: group.id, seq: mine.seq });
    await settle();
    sb!.sendJson({
      t: "send",
      cid: "reply",
      conv: group.id,
      content: { type: "text", text: "reply" },
    });
    const reply = await sa!.waitFor((f): f is Msg => isMsg(f) && f.cid === "reply");
    sa!.sendJson({ t: "read", conv: group.id, seq: reply.seq });
    await settle();
    sc!.sendJson({ t: "read", conv: group.id, seq: mine.seq });
    await sa!.waitFor((f) => f.t === "group_receipt" && f.conv === group.id && f.read >= mine.seq);
    for (const s of [sa, sb, sc]) s!.close();
  });

  it("admins add and remove; newcomers see from their join, removed members see nothing more", async () => {
    const [a, b, c, d] = await users(courier.url, 4);
    const group = await createGroup(courier.url, a!, "Club", [b!, c!]);
    const sa = await RawSocket.authed(courier.url, a!.token);
    sa.sendText({ cid: "before-d", conv: group.id, text: "secret" });
    await sa.waitFor((f) => f.t === "sent");

    const forbidden = await api(
      courier.url,
      b!.token,
      "POST",
      `/api/groups/${encodeURIComponent(group.id)}/members`,
      { users: [d!.user.id] },
    );
    assert.deepEqual(
      [forbidden.status, (forbidden.body as { code: string }).code],
      [403, ErrorCode.forbidden],
    );
    const added = await api(
      courier.url,
      a!.token,
      "POST",
      `/api/groups/${encodeURIComponent(group.id)}/members`,
      { users: [d!.user.id] },
    );
    assert.equal(added.status, 200);
    const joinedSeq =
      (added.body as GroupInfo).members.find((m) => m.id === d!.user.id)?.joinedSeq ?? 0;
    assert.ok(joinedSeq > 1);

    // D connects now: the sync brings only messages from the one that added D.
    const sd = await RawSocket.authed(courier.url, d!.token);
    const seen = sd.frames.filter(isMsg).filter((m) => m.conv === group.id);
    assert.deepEqual(
      seen.map((m) => m.seq),
      [joinedSeq],
    );
    assert.deepEqual(systemEvents(sd, group.id), ["added"]);
    sd.sendJson({ t: "pull", conv: group.id, after: 0 });
    await sd.waitFor((f) => f.t === "pulled");
    assert.equal(
      sd.frames.some((f) => isMsg(f) && f.cid === "before-d"),
      false,
    );
    const history = await api(
      courier.url,
      d!.token,
      "GET",
      `/api/conversations/${encodeURIComponent(group.id)}/messages`,
    );
    assert.deepEqual(
      (history.body as { messages: Msg[] }).messages.map((m) => m.seq),
      [joinedSeq],
    );

    // C is offline while removed; on reconnect C gets the removal, and nothing after it.
    const removed = await api(
      courier.url,
      a!.token,
      "DELETE",
      `/api/groups/${encodeURIComponent(group.id)}/members/${c!.user.id}`,
    );
    assert.equal(removed.status, 200);
    assert.equal(
      (removed.body as GroupInfo).members.some((m) => m.id === c!.user.id),
      false,
    );
    sa.sendText({ cid: "after-c", conv: group.id, text: "c is gone" });
    await sd.waitFor((f) => isMsg(f) && f.cid === "after-c");
    const sc = await RawSocket.authed(courier.url, c!.token);
    assert.deepEqual(systemEvents(sc, group.id).at(-1), "removed");
    assert.equal(
      sc.frames.some((f) => isMsg(f) && f.cid === "after-c"),
      false,
    );
    sc.sendText({ cid: "c-tries", conv: group.id, text: "let me back" });
    await sc.waitFor(
      (f) => f.t === "error" && f.ref === "c-tries" && f.code === ErrorCode.notMember,
    );
    sc.sendJson({ t: "pull", conv: group.id, after: 0 });
    await sc.waitFor(
      (f) => f.t === "error" && f.code === ErrorCode.notMember && f.ref === undefined,
    );
    // Once C's device has acked its removal, the next connect brings nothing from the group.
    const removal = sc.frames
      .filter(isMsg)
      .filter((m) => m.conv === group.id)
      .at(-1)!;
    sc.sendJson({ t: "ack", conv: group.id, seq: removal.seq });
    await new Promise((r) => setTimeout(r, 100));
    sc.close();
    const again = await RawSocket.authed(courier.url, c!.token);
    assert.equal(again.frames.filter(isMsg).filter((m) => m.conv === group.id).length, 0);
    again.close();
    for (const path of ["", "/messages"]) {
      const prefix = path === "" ? "/api/groups/" : "/api/conversations/";
      const res = await api(
        courier.url,
        c!.token,
        "GET",
        `${prefix}${encodeURIComponent(group.id)}${path}`,
      );
      assert.equal(res.status, 403, path);
    }
    for (const s of [sa, sc, sd]) s.close();
  });

  it("promotes, renames, and hands admin on when the last admin leaves", async () => {
    const [a, b, c] = await users(courier.url, 3);
    const group = await createGroup(courier.url, a!, "Old name", [b!, c!]);
    const id = encodeURIComponent(group.id);
    const sc = await RawSocket.authed(courier.url, c!.token);
    const renamed = await api(courier.url, b!.token, "PATCH", `/api/groups/${id}`, {
      name: "New name",
    });
    assert.equal((renamed.body as GroupInfo).name, "New name");
    const promoted = await api(courier.url, a!.token, "POST", `/api/groups/${id}/admins`, {
      user: c!.user.id,
    });
    assert.equal(
      (promoted.body as GroupInfo).members.find((m) => m.id === c!.user.id)?.role,
      "admin",
    );
    const notAdmin = await api(courier.url, b!.token, "POST", `/api/groups/${id}/admins`, {
      user: b!.user.id,
    });
    assert.equal(notAdmin.status, 403);
    await api(courier.url, c!.token, "POST", `/api/groups/${id}/leave`);
    const left = await api(courier.url, a!.token, "POST", `/api/groups/${id}/leave`);
    assert.equal(left.status, 200);
    const rest = (left.body as GroupInfo).members;
    assert.deepEqual(
      rest.map((m) => [m.id, m.role]),
      [[b!.user.id, "admin"]],
    );
    await sc.waitFor(() => systemEvents(sc, group.id).join() === "created,renamed,promoted,left");
    sc.close();
  });

  it("enforces the group size limit and refuses unknown users and outsiders", async () => {
    const people = await users(courier.url, 7);
    const [owner, ...rest] = people;
    const tooBig = await api(courier.url, owner!.token, "POST", "/api/groups", {
      name: "Big",
      members: rest.map((u) => u.user.id),
    });
    assert.deepEqual(
      [tooBig.status, (tooBig.body as { code: string }).code],
      [422, ErrorCode.limitReached],
    );
    const ghost = await api(courier.url, owner!.token, "POST", "/api/groups", {
      name: "Ghost",
      members: ["nobody"],
    });
    assert.deepEqual(
      [ghost.status, (ghost.body as { code: string }).code],
      [404, ErrorCode.noSuchUser],
    );
    const group = await createGroup(courier.url, owner!, "Small", rest.slice(0, 2));
    const outsider = rest[3]!;
    const so = await RawSocket.authed(courier.url, outsider.token);
    so.sendText({ cid: "x", conv: group.id, text: "hi" });
    so.sendJson({ t: "typing", conv: group.id, on: true });
    await so.waitFor((f) => f.t === "error" && f.ref === "x" && f.code === ErrorCode.notMember);
    const members = await api(
      courier.url,
      outsider.token,
      "GET",
      `/api/groups/${encodeURIComponent(group.id)}`,
    );
    assert.equal(members.status, 403);
    const add = await api(
      courier.url,
      outsider.token,
      "POST",
      `/api/groups/${encodeURIComponent(group.id)}/members`,
      { users: [outsider.user.id] },
    );
    assert.equal(add.status, 403);
    so.close();
  });
});

describe("large groups: notify, then pull", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier({ COURIER_LARGE_GROUP: "3", COURIER_GROUP_RECEIPT_MS: "50" });
  });
  after(() => courier.stop());

  it("online members get a small message inline, once, through the group's topic; offline ones on sync", async () => {
    const people = await users(courier.url, 6);
    const [owner, ...rest] = people;
    const online = await Promise.all(
      rest.slice(0, 4).map((u) => RawSocket.authed(courier.url, u.token)),
    );
    const group = await createGroup(courier.url, owner!, "Town hall", rest);
    // The owner's second device gets the message; the sending device gets only its `sent`.
    const so = await RawSocket.authed(courier.url, owner!.token);
    const otherDevice = await RawSocket.authed(
      courier.url,
      (await login(courier.url, owner!.user.username)).token,
    );
    so.sendText({ cid: "small1", conv: group.id, text: "announcement" });
    const sent = await so.waitFor((f): f is Sent => f.t === "sent");
    for (const s of [...online, otherDevice]) {
      const msg = await s.waitFor((f): f is Msg => isMsg(f) && f.cid === "small1");
      assert.equal(msg.seq, sent.seq);
    }
    await sleep(100);
    for (const s of [...online, otherDevice]) {
      assert.equal(
        s.frames.filter((f) => isMsg(f) && f.cid === "small1").length,
        1,
        "exactly once",
      );
      assert.equal(
        s.frames.some((f) => f.t === "notify" && f.seq === sent.seq),
        false,
      );
      s.sendJson({ t: "ack", conv: group.id, seq: sent.seq });
    }
    assert.equal(
      so.frames.some((f) => isMsg(f) && f.cid === "small1"),
      false,
      "not to the sender",
    );
    const late = await RawSocket.authed(courier.url, rest[4]!.token);
    assert.ok(late.frames.filter(isMsg).some((m) => m.cid === "small1"));
    late.sendJson({ t: "ack", conv: group.id, seq: sent.seq });
    await so.waitFor((f) => f.t === "group_receipt" && f.delivered >= sent.seq);
    for (const s of [...online, so, otherDevice, late]) s.close();
  });

  it("a message too big to carry inline is a notify, and members pull it", async () => {
    const people = await users(courier.url, 5);
    const [owner, ...rest] = people;
    const online = await Promise.all(rest.map((u) => RawSocket.authed(courier.url, u.token)));
    const group = await createGroup(courier.url, owner!, "Town hall", rest);
    const so = await RawSocket.authed(courier.url, owner!.token);
    const text = "x".repeat(inlineMessageChars);
    so.sendJson({ t: "send", cid: "big1", conv: group.id, content: { type: "text", text } });
    const sent = await so.waitFor((f): f is Sent => f.t === "sent");
    for (const pulled of await notifiedThenPulled(online, group.id, "big1", sent.seq)) {
      assert.equal((pulled.content as { text: string }).text, text);
    }
    for (const s of [...online, so]) s.close();
  });

  it("batches receipts: many members reading is a handful of frames to the sender", async () => {
    const people = await users(courier.url, 21);
    const [owner, ...rest] = people;
    const group = await createGroup(courier.url, owner!, "Crowd", rest);
    const so = await RawSocket.authed(courier.url, owner!.token);
    so.sendText({ cid: "crowd", conv: group.id, text: "read me" });
    const sent = await so.waitFor((f): f is Sent => f.t === "sent");
    const readers = await Promise.all(rest.map((u) => RawSocket.authed(courier.url, u.token)));
    for (const r of readers) r.sendJson({ t: "read", conv: group.id, seq: sent.seq });
    await so.waitFor((f) => f.t === "group_receipt" && f.read >= sent.seq);
    const receipts = so.frames.filter((f) => f.t === "group_receipt" || f.t === "receipt");
    assert.ok(
      receipts.length < rest.length / 2,
      `${receipts.length} receipt frames for ${rest.length} readers`,
    );
    for (const s of [...readers, so]) s.close();
  });
});
