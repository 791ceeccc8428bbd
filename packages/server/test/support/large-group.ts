import assert from "node:assert/strict";
import type { ServerFrame } from "@courier/protocol";
import type { RawSocket } from "./raw-socket.ts";

type Msg = Extract<ServerFrame, { t: "msg" }>;

/**
 * Large groups: a message too big to ride in the group's event reaches each member as a
 * `notify` only, and a `pull` brings it. Checks that for every socket; returns what each pulled.
 */
export async function notifiedThenPulled(
  members: RawSocket[],
  conv: string,
  cid: string,
  seq: number,
): Promise<Msg[]> {
  const pulled: Msg[] = [];
  for (const s of members) {
    await s.waitFor((f) => f.t === "notify" && f.conv === conv && f.seq === seq);
    assert.equal(
      s.frames.some((f) => f.t === "msg" && f.cid === cid),
      false,
      "notify, not the message",
    );
    s.sendJson({ t: "pull", conv, after: 0 });
    const msg = await s.waitFor((f): f is Msg => f.t === "msg" && f.cid === cid);
    assert.equal(msg.seq, seq);
    pulled.push(msg);
  }
  return pulled;
}
