import assert from "node:assert/strict";
import { it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { serialize, serializeBatch } from "../src/gateway/serialize.ts";

it("serializes a batch exactly as JSON.stringify would, reusing each frame's JSON", () => {
  const msg: ServerFrame = {
    t: "msg",
    conv: "d:a:b",
    id: "m1",
    seq: 1,
    from: "a",
    cid: "c1",
    ts: 5,
    content: { type: "text", text: 'quotes " and \u2028 unicode 😀' },
  };
  const pong: ServerFrame = { t: "pong", time: 7 };
  assert.equal(serializeBatch([msg]), JSON.stringify(msg));
  assert.equal(serializeBatch([msg, pong, msg]), JSON.stringify([msg, pong, msg]));
  assert.deepEqual(JSON.parse(serializeBatch([pong, msg])), [pong, msg]);
  assert.equal(serialize(msg), serialize(msg));
});
