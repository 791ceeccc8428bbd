import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResponse, GroupInfo, ServerFrame } from "@courier/protocol";
import { api, register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { RawSocket } from "./support/raw-socket.ts";

/**
 * Catch-up of receipts on (re)connect (`delivery/sync.ts:sendMissedReceipts`): the store names
 * the groups that changed (`receiptsSince`), and the device gets one `group_receipt` for each
 * in which its user sent recently, none for the others.
 */

type Msg = Extract<ServerFrame, { t: "msg" }>;
type Sent = Extract<ServerFrame, { t: "sent" }>;
const isMsg = (f: ServerFrame): f is Msg => f.t === "msg";

async function createGroup(url: string, owner: AuthResponse, members: AuthResponse[]) {
  const res = await api(url, owner.token, "POST", "/api/groups", {
    name: "g",
    members: members.map((m) => m.user.id),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return (res.body as GroupInfo).id;
}

describe("missed receipts on reconnect", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier({ COURIER_GROUP_RECEIPT_MS: "50" });
  });
  after(() => courier.stop());

  it("brings one group_receipt per group the user sent in, none for groups they did not", async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => register(courier.url)));
    const mine = await createGroup(courier.url, a!, [b!, c!]);
    // B creates the other group: its "created" message is B's, so A never sent in it.
    const theirs = await createGroup(courier.url, b!, [a!, c!]);
    let sa = await RawSocket.authed(courier.url, a!.token);
    const [sb, sc] = await Promise.all([b, c].map((u) => RawSocket.authed(courier.url, u!.token)));

    sa.sendText({ cid: "m1", conv: mine, text: "hi" });
    const sent = await sa.waitFor((f): f is Sent => f.t === "sent" && f.cid === "m1");
    sb!.sendJson({ t: "send", cid: "t1", conv: theirs, content: { type: "text", text: "yo" } });
    const other = await sb!.waitFor((f): f is Sent => f.t === "sent" && f.cid === "t1");
    await sc!.waitFor((f) => isMsg(f) && f.cid === "t1");
    await sa.waitFor((f) => isMsg(f) && f.cid === "t1");
    sa.close();
    await sa.waitForClose();

    // While A is away, B and C read A's message, and C reads B's in the other group.
    for (const s of [sb!, sc!]) s.sendJson({ t: "read", conv: mine, seq: sent.seq });
    sc!.sendJson({ t: "read", conv: theirs, seq: other.seq });
    await new Promise((r) => setTimeout(r, 300));

    sa = await RawSocket.authed(courier.url, a!.token);
    const receipts = sa.frames.filter((f) => f.t === "group_receipt");
    assert.deepEqual(
      receipts.map((f) => [f.conv, f.delivered, f.read]),
      [[mine, sent.seq, sent.seq]],
    );
    for (const s of [sa, sb!, sc!]) s.close();
  });
});
