import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPayload, PREVIEW_CHARS, preview } from "../../src/push/payload.ts";
import { backoffMs, parseRetryAfter } from "../../src/push/retry.ts";
import type { PushJob, PushSender } from "../../src/push/sender.ts";
import { testDispatcher } from "./support/dispatcher.ts";

describe("push payload", () => {
  const input = {
    conversationId: "d:a:b",
    seq: 7,
    senderId: "a",
    senderName: "Alice",
    content: { type: "text" as const, text: "hi" },
  };

  it("words one message and a burst per level", () => {
    assert.deepEqual(buildPayload({ ...input, level: "full", count: 1 }), {
      v: 1,
      conv: "d:a:b",
      seq: 7,
      count: 1,
      title: "Alice",
      body: "hi",
      sender: { id: "a", name: "Alice" },
      preview: "hi",
    });
    assert.equal(buildPayload({ ...input, level: "full", count: 3 }).body, "3 new messages · hi");
    assert.equal(buildPayload({ ...input, level: "sender", count: 3 }).body, "3 new messages");
    const none = buildPayload({ ...input, level: "none", count: 1 });
    assert.deepEqual([none.title, none.body, "sender" in none], ["Courier", "New message", false]);
  });

  it("cuts long previews on a code point, never inside an emoji", () => {
    const long = "😀".repeat(PREVIEW_CHARS + 10);
    const text = preview({ type: "text", text: long });
    assert.equal([...text].length, PREVIEW_CHARS);
    assert.ok(text.endsWith("😀…"));
    assert.equal(preview({ type: "system", event: "created", actor: "a" }), "Group updated");
  });
});

describe("push retry timing", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
  });

  it("backs off exponentially, jittered, capped", () => {
    assert.equal(
      backoffMs(1, 1000, 60_000, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 1),
      4000,
    );
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 0),
      2000,
    );
    assert.equal(
      backoffMs(30, 1000, 60_000, () => 1),
      60_000,
    );
  });
});

describe("push dispatcher bounds", () => {
  it("drops and counts jobs beyond its bound instead of waiting", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sent: string[] = [];
    const slow: PushSender = {
      async send(jobs) {
        await gate;
        for (const j of jobs) sent.push(j.subscription.deviceId);
        return jobs.map(() => ({ kind: "ok" }));
      },
      close() {},
    };
    const drops: string[] = [];
    const dispatcher = testDispatcher({
      senders: { web: slow, expo: slow },
      maxQueued: 3,
      maxInFlight: 2,
      maxAttempts: 3,
      retryBaseMs: 1,
      retryCapMs: 1,
      maxRetryAfterMs: 1,
      onDrop: (reason) => drops.push(reason),
    });
    const job = (i: number): PushJob => ({
      subscription: {
        kind: "expo",
        deviceId: `d${i}`,
        userId: "u",
        address: `t${i}`,
        createdAt: 0,
      },
      payload: { v: 1, conv: "c", seq: i, count: 1, title: "t", body: "b" },
      privacy: "full",
      attempt: 1,
    });
    dispatcher.enqueue(job(1));
    dispatcher.enqueue(job(2));
    await new Promise((r) => setImmediate(r)); // 1 and 2 are in flight now
    const accepted = [3, 4, 5, 6, 7].map((i) => dispatcher.enqueue(job(i)));
    assert.deepEqual(accepted, [true, true, true, false, false]);
    assert.deepEqual(drops, ["queue_full", "queue_full"]);
    release();
    await dispatcher.idle();
    assert.deepEqual(sent.sort(), ["d1", "d2", "d3", "d4", "d5"]);
    dispatcher.close();
  });

  it("gives up after the last attempt", async () => {
    let calls = 0;
    const busy: PushSender = {
      async send(jobs) {
        calls += jobs.length;
        return jobs.map(() => ({ kind: "retry", reason: "503" }));
      },
      close() {},
    };
    const drops: string[] = [];
    const dispatcher = testDispatcher({
      senders: { web: busy, expo: busy },
      maxQueued: 10,
      maxInFlight: 10,
      maxAttempts: 3,
      retryBaseMs: 5,
      retryCapMs: 20,
      maxRetryAfterMs: 1000,
      onDrop: (reason) => drops.push(reason),
    });
    dispatcher.enqueue({
      subscription: { kind: "expo", deviceId: "d", userId: "u", address: "t", createdAt: 0 },
      payload: { v: 1, conv: "c", seq: 1, count: 1, title: "t", body: "b" },
      privacy: "full",
      attempt: 1,
    });
    await dispatcher.idle();
    assert.equal(calls, 3);
    assert.deepEqual(drops, ["gave_up"]);
    dispatcher.close();
  });
});
