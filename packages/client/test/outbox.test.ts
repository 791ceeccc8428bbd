import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SendFrame } from "@courier/protocol";
import { Outbox } from "../src/outbox.ts";
import type { RetryPolicy } from "../src/retry.ts";
import { defaultRetryPolicy } from "../src/retry.ts";
import { MemoryStorage } from "../src/storage.memory.ts";
import type { StorageBatch } from "../src/storage.ts";
import type { LocalMessage } from "../src/types.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pending(cid: string, conv = "c", extra: Partial<LocalMessage> = {}): LocalMessage {
  return {
    conv,
    cid,
    from: "me",
    ts: 1,
    content: { type: "text", text: cid },
    status: "pending",
    ...extra,
  };
}

/** An outbox over a MemoryStorage, with a recorded wire and a switchable connection. */
function harness(
  options: {
    window?: number;
    retry?: RetryPolicy;
    failWrites?: boolean;
    storage?: MemoryStorage;
  } = {},
) {
  const storage = options.storage ?? new MemoryStorage();
  /** cids whose outbox write resolved. */
  const durable = new Set<string>();
  const wire: SendFrame[] = [];
  const changes: LocalMessage[] = [];
  const writes: StorageBatch[] = [];
  const errors: unknown[] = [];
  const state = { connected: true, failWrites: options.failWrites ?? false };
  const outbox = new Outbox({
    write: async (batch) => {
      writes.push(batch);
      if (state.failWrites) throw new Error("disk full");
      await storage.write(batch);
      for (const m of batch.outbox ?? []) durable.add(m.cid);
    },
    transmit: (frame) => {
      // The frame goes out only after the entry is durable.
      assert.ok(durable.has(frame.cid), `${frame.cid} sent before it was persisted`);
      wire.push(frame);
    },
    canSend: () => state.connected,
    onChange: (m) => changes.push(m),
    onStorageError: (e) => errors.push(e),
    retry: options.retry ?? defaultRetryPolicy(),
    window: options.window ?? 32,
  });
  return {
    storage,
    durable,
    wire,
    changes,
    writes,
    errors,
    state,
    outbox,
    cids: () => wire.map((f) => f.cid),
  };
}

describe("Outbox", () => {
  it("persists a tick's sends in one write, before sending them in order", async () => {
    const h = harness();
    const added = ["a", "b", "c"].map((cid) => h.outbox.add(pending(cid)));
    assert.deepEqual(h.wire, [], "nothing leaves before the write resolves");
    const snapshots = await Promise.all(added);
    assert.deepEqual(
      snapshots.map((m) => m.status),
      ["pending", "pending", "pending"],
    );
    assert.equal(h.writes.length, 1);
    assert.deepEqual(h.cids(), ["a", "b", "c"]);
    assert.deepEqual(
      (await h.storage.loadOutbox()).map((m) => m.cid),
      ["a", "b", "c"],
    );
  });

  it("uses conv or to on the wire as the message was addressed", async () => {
    const h = harness();
    await h.outbox.add(pending("x", "d:me:you", { to: "you" }));
    await h.outbox.add(pending("y", "g1"));
    assert.deepEqual(
      h.wire.map((f) => [f.cid, f.conv, f.to]),
      [
        ["x", undefined, "you"],
        ["y", "g1", undefined],
      ],
    );
  });

  it("keeps at most `window` sends unanswered per conversation", async () => {
    const h = harness({ window: 2 });
    await Promise.all(["a1", "a2", "a3", "a4"].map((c) => h.outbox.add(pending(c, "a"))));
    await h.outbox.add(pending("b1", "b"));
    assert.deepEqual(h.cids(), ["a1", "a2", "b1"]);
    assert.equal(h.outbox.take("a1")?.cid, "a1");
    assert.deepEqual(h.cids(), ["a1", "a2", "b1", "a3"]);
    h.outbox.take("a3"); // answers may come out of order
    h.outbox.take("a2");
    assert.deepEqual(h.cids(), ["a1", "a2", "b1", "a3", "a4"]);
    assert.equal(h.outbox.pendingCount, 2);
  });

  it("waits offline and resends everything unanswered with the same cid after a reconnect", async () => {
    const h = harness();
    h.state.connected = false;
    await h.outbox.add(pending("a"));
    await h.outbox.add(pending("b"));
    assert.deepEqual(h.wire, []);
    h.state.connected = true;
    h.outbox.pumpAll();
    assert.deepEqual(h.cids(), ["a", "b"]);
    h.outbox.take("a");
    h.outbox.connectionLost();
    h.outbox.pumpAll();
    assert.deepEqual(h.cids(), ["a", "b", "b"], "b went again, a did not");
    assert.equal(h.wire[1], h.wire[2], "the frame is built once and reused");
  });

  it("survives a restart: a new outbox restores the stored pending entries in order", async () => {
    const h = harness();
    h.state.connected = false;
    for (const cid of ["a", "b", "c"]) await h.outbox.add(pending(cid));
    const again = harness({ storage: h.storage });
    const stored = await h.storage.loadOutbox();
    for (const m of stored) again.durable.add(m.cid);
    again.outbox.restore(stored);
    assert.deepEqual(again.cids(), ["a", "b", "c"]);
  });

  it("marks a message failed on a permanent error and keeps it, persisted, for resend", async () => {
    const h = harness();
    await h.outbox.add(pending("a"));
    await h.outbox.add(pending("b"));
    assert.equal(h.outbox.refused("a", "not_member"), true);
    assert.equal(h.changes.at(-1)?.status, "failed");
    assert.equal(h.changes.at(-1)?.error, "not_member");
    assert.equal(h.outbox.get("a")?.status, "failed");
    await sleep(0);
    assert.equal((await h.storage.loadOutbox()).find((m) => m.cid === "a")?.status, "failed");
    assert.equal(h.outbox.pendingCount, 1);

    const again = h.outbox.resend("a");
    assert.equal(again?.status, "pending");
    assert.equal(again?.error, undefined);
    assert.deepEqual(h.cids(), ["a", "b", "a"]);
    assert.equal(h.outbox.resend("b"), undefined, "only failed messages can be resent");
    assert.equal(h.outbox.refused("zzz", "not_member"), false);
  });

  it("retries a retryable error after the policy's delay, in order, up to the cap", async () => {
    const calls: Array<[string, number]> = [];
    const h = harness({
      retry: {
        retryAfter(code, attempt) {
          calls.push([code, attempt]);
          return attempt < 3 ? 10 : undefined;
        },
      },
    });
    await h.outbox.add(pending("a"));
    await h.outbox.add(pending("b"));
    h.outbox.refused("a", "unavailable");
    h.outbox.refused("b", "unavailable");
    await h.outbox.add(pending("c"));
    assert.deepEqual(h.cids(), ["a", "b"], "the conversation pauses, c waits behind a");
    await sleep(30);
    assert.deepEqual(
      h.cids(),
      ["a", "b", "a", "b", "c"],
      "resumes from the failed entry, in order",
    );
    h.outbox.refused("a", "rate_limited");
    await sleep(30);
    h.outbox.refused("a", "unavailable");
    assert.equal(h.outbox.get("a")?.status, "failed", "gave up after the third failure");
    assert.deepEqual(
      calls.filter(([, n]) => n === 3),
      [["unavailable", 3]],
    );
  });

  it("a failed write rejects the send and leaves nothing behind", async () => {
    const h = harness({ failWrites: true });
    await assert.rejects(h.outbox.add(pending("a")), /disk full/);
    assert.equal(h.outbox.get("a"), undefined);
    assert.deepEqual(h.wire, []);
    assert.equal(h.errors.length, 1);
    h.state.failWrites = false;
    await h.outbox.add(pending("b"));
    assert.deepEqual(h.cids(), ["b"], "the queue is not blocked by the lost entry");
  });

  it("discards a failed message from memory and storage", async () => {
    const h = harness();
    await h.outbox.add(pending("a"));
    h.outbox.refused("a", "bad_frame");
    assert.equal(h.outbox.discard("a"), true);
    await sleep(0);
    assert.equal(h.outbox.get("a"), undefined);
    assert.deepEqual(await h.storage.loadOutbox(), []);
  });

  it("handles 50k messages through one conversation without slowing down", async () => {
    const h = harness({ window: 64 });
    const start = performance.now();
    let answered = 0;
    for (let i = 0; i < 50_000; i += 1000) {
      const batch = [];
      for (let j = i; j < i + 1000; j++) batch.push(h.outbox.add(pending(`m${j}`)));
      await Promise.all(batch);
      // Answer everything on the wire; each answer lets the next one out.
      while (answered < h.wire.length) h.outbox.take((h.wire[answered++] as SendFrame).cid);
      assert.equal(h.outbox.pendingCount, 0);
    }
    assert.equal(new Set(h.cids()).size, 50_000);
    assert.equal(h.cids().length, 50_000, "no duplicates on a healthy connection");
    assert.ok(performance.now() - start < 3000, `${performance.now() - start} ms`);
  });
});
