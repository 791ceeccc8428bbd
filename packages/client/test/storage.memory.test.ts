import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStorage } from "../src/storage.memory.ts";
import type { LocalMessage } from "../src/types.ts";
import { runStorageContract } from "./storage.contract.ts";

runStorageContract("MemoryStorage", () => new MemoryStorage());

describe("MemoryStorage specifics", () => {
  const message = (seq: number): LocalMessage => ({
    conv: "c",
    cid: `m${seq}`,
    id: `s${seq}`,
    seq,
    from: "u2",
    ts: seq,
    content: { type: "text", text: "x" },
    status: "received",
  });

  it("keeps only the newest messages when capped", async () => {
    const s = new MemoryStorage({ maxMessagesPerConversation: 100 });
    for (let seq = 1; seq <= 1000; seq++) await s.write({ messages: [message(seq)] });
    const all = await s.listMessages("c", { limit: 10_000 });
    assert.ok(all.length >= 100 && all.length <= 141, `${all.length} kept`);
    assert.equal(all.at(-1)?.seq, 1000);
    assert.deepEqual(
      all.map((m) => m.seq),
      all.map((_, i) => 1000 - all.length + 1 + i),
      "the newest, contiguous",
    );
  });
});
