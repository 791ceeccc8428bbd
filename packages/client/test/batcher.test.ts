import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClientFrame } from "@courier/protocol";
import { FrameBatcher } from "../src/batcher.ts";
import { nextTick } from "../src/scheduler.ts";

/** A batcher whose flushes run only when the test says so. */
function manual(limits?: { maxBytes?: number; maxFrames?: number }) {
  const written: string[] = [];
  let pending: (() => void) | undefined;
  let accept = true;
  const batcher = new FrameBatcher(
    (data) => {
      if (!accept) return false;
      written.push(data);
      return true;
    },
    (task) => {
      assert.equal(pending, undefined, "at most one flush is scheduled at a time");
      pending = task;
    },
    limits,
  );
  return {
    batcher,
    written,
    parsed: () => written.map((w) => JSON.parse(w) as ClientFrame | ClientFrame[]),
    tick() {
      const task = pending;
      pending = undefined;
      task?.();
    },
    refuse() {
      accept = false;
    },
  };
}

const ack = (conv: string, seq: number): ClientFrame => ({ t: "ack", conv, seq });

describe("FrameBatcher", () => {
  it("writes a lone frame as an object and a tick's frames as one array", () => {
    const m = manual();
    m.batcher.push(ack("a", 1));
    m.tick();
    m.batcher.push(ack("a", 2));
    m.batcher.push(ack("b", 1));
    m.batcher.push({ t: "ping" });
    m.tick();
    assert.deepEqual(m.parsed(), [
      { t: "ack", conv: "a", seq: 1 },
      [{ t: "ack", conv: "a", seq: 2 }, { t: "ack", conv: "b", seq: 1 }, { t: "ping" }],
    ]);
  });

  it("coalesces keyed frames in place: one ack per conversation per tick", () => {
    const m = manual();
    m.batcher.pushKeyed("ack:a", ack("a", 1));
    m.batcher.push({ t: "ping" });
    m.batcher.pushKeyed("ack:b", ack("b", 7));
    m.batcher.pushKeyed("ack:a", ack("a", 5));
    m.batcher.pushKeyed("ack:a", ack("a", 9));
    assert.equal(m.batcher.size, 3);
    m.tick();
    assert.deepEqual(m.parsed(), [[ack("a", 9), { t: "ping" }, ack("b", 7)]]);
    m.batcher.pushKeyed("ack:a", ack("a", 10));
    m.tick();
    assert.deepEqual(m.parsed()[1], ack("a", 10), "keys reset after a flush");
  });

  it("splits a batch at the byte limit, keeping the order", () => {
    const m = manual({ maxBytes: 200 });
    const frames = Array.from({ length: 20 }, (_, i) => ack(`conversation-${i}`, i));
    for (const f of frames) m.batcher.push(f);
    m.tick();
    assert.ok(m.written.length > 1, "more than one message");
    for (const w of m.written)
      assert.ok(Buffer.byteLength(w) <= 200, `${Buffer.byteLength(w)} > 200`);
    assert.deepEqual(m.parsed().flat(), frames);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const m = manual({ maxBytes: 300 });
    const text = "é✓😀".repeat(10); // 2 + 3 + 4 bytes per round, 4 UTF-16 units
    const frames: ClientFrame[] = Array.from({ length: 6 }, (_, i) => ({
      t: "send",
      cid: `c${i}`,
      conv: "x",
      content: { type: "text", text },
    }));
    for (const f of frames) m.batcher.push(f);
    m.tick();
    for (const w of m.written)
      assert.ok(Buffer.byteLength(w) <= 300, `${Buffer.byteLength(w)} > 300`);
    assert.deepEqual(m.parsed().flat(), frames);
  });

  it("never puts more than maxFrames frames in one array", () => {
    const m = manual({ maxFrames: 256 });
    for (let i = 0; i < 600; i++) m.batcher.push(ack("a", i));
    m.tick();
    assert.deepEqual(
      m.parsed().map((p) => (Array.isArray(p) ? p.length : 1)),
      [256, 256, 88],
    );
  });

  it("drops the rest of a flush when the socket refuses, and clear() forgets the queue", () => {
    const m = manual();
    m.refuse();
    m.batcher.push(ack("a", 1));
    m.batcher.push(ack("a", 2));
    m.tick();
    assert.equal(m.batcher.size, 0);
    m.batcher.push(ack("a", 3));
    m.batcher.clear();
    assert.equal(m.batcher.size, 0);
  });

  it("with the default scheduler, frames pushed in one tick leave in one write", async () => {
    const written: string[] = [];
    const batcher = new FrameBatcher((d) => written.push(d) > 0, nextTick);
    for (let i = 1; i <= 3; i++) batcher.push(ack("a", i));
    assert.equal(written.length, 0, "nothing is written synchronously");
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(written.length, 1);
    assert.equal((JSON.parse(written[0] as string) as unknown[]).length, 3);
  });
});
