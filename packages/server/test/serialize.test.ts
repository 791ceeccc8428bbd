import assert from "node:assert/strict";
import type { Writable } from "node:stream";
import { it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { frameBatch, serialize, serializeBatch } from "../src/gateway/serialize.ts";
import { textFrame } from "../src/gateway/ws-frame.ts";

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

it("frames text as a WebSocket parser reads it, at every length class of the header", async () => {
  // ws's own Receiver as the parser: client-side, so it expects unmasked frames as a server sends.
  // It is exported at runtime, but not in ws's type declarations.
  const { Receiver } = (await import("ws")) as unknown as {
    Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable;
  };
  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
    // Multi-byte characters: the header must count bytes, not UTF-16 units.
    const text = [..."é😀a".repeat(Math.ceil(length / 3))].slice(0, length).join("");
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    const got = new Promise<string>((resolve, reject) => {
      receiver.on("message", (data: Buffer, isBinary: boolean) =>
        isBinary ? reject(new Error("binary")) : resolve(data.toString()),
      );
      receiver.on("error", reject);
    });
    receiver.write(textFrame(text));
    assert.equal(await got, text, `length ${length}`);
  }
});

it("frames a frame shared by many connections once, and a batch as one array", () => {
  const pong: ServerFrame = { t: "pong", time: 7 };
  assert.equal(frameBatch([pong]), frameBatch([pong]));
  const batch = frameBatch([pong, pong]);
  assert.equal(batch.subarray(2).toString(), JSON.stringify([pong, pong]));
});

it("keeps its caches out of sight: the frame still equals, spreads and lists as it was", () => {
  const receipt: ServerFrame = { t: "receipt", conv: "d:a:b", user: "b", delivered: 3, read: 1 };
  const copy = structuredClone(receipt);
  frameBatch([receipt]);
  assert.deepStrictEqual(receipt, copy);
  assert.deepStrictEqual({ ...receipt }, copy);
  assert.deepStrictEqual(Object.keys(receipt), Object.keys(copy));
});
