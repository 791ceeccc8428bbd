import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReceiptTracker } from "../src/receipts.ts";
import type { LocalMessage } from "../src/types.ts";

const mine = (seq: number, conv = "c"): LocalMessage => ({
  conv,
  cid: `m${seq}`,
  id: `s${seq}`,
  seq,
  from: "me",
  ts: seq,
  content: { type: "text", text: String(seq) },
  status: "sent",
});

const statuses = (list: LocalMessage[]) => list.map((m) => `${m.seq}:${m.status}`);

describe("ReceiptTracker", () => {
  it("moves my messages to delivered, then read, by cumulative cursors", () => {
    const t = new ReceiptTracker();
    for (let s = 1; s <= 4; s++) t.add(mine(s));
    assert.deepEqual(statuses(t.apply("c", 2, 0)), ["1:delivered", "2:delivered"]);
    assert.deepEqual(statuses(t.apply("c", 3, 1)), ["1:read", "3:delivered"]);
    assert.deepEqual(statuses(t.apply("c", 4, 4)), ["2:read", "3:read", "4:read"]);
    assert.equal(t.unreadCount("c"), 0);
  });

  it("only goes forward: older cursors change nothing", () => {
    const t = new ReceiptTracker();
    t.add(mine(1));
    t.add(mine(2));
    t.apply("c", 2, 1);
    assert.deepEqual(t.apply("c", 1, 0), []);
    assert.deepEqual(t.cursors("c"), { delivered: 2, read: 1 });
  });

  it("a read cursor implies delivered", () => {
    const t = new ReceiptTracker();
    t.add(mine(1));
    t.add(mine(2));
    assert.deepEqual(statuses(t.apply("c", 0, 2)), ["1:read", "2:read"]);
    assert.deepEqual(t.cursors("c"), { delivered: 2, read: 2 });
  });

  it("gives a message the status known cursors imply when it is added late", () => {
    const t = new ReceiptTracker();
    t.apply("c", 5, 3);
    assert.equal(t.add(mine(2)).status, "read");
    assert.equal(t.add(mine(4)).status, "delivered");
    assert.equal(t.add(mine(6)).status, "sent");
    assert.deepEqual(statuses(t.apply("c", 6, 0)), ["6:delivered"]);
  });

  it("accepts seqs out of order and still reports in seq order", () => {
    const t = new ReceiptTracker();
    t.add(mine(3));
    t.add(mine(1));
    t.add(mine(2));
    t.add(mine(2));
    assert.deepEqual(statuses(t.apply("c", 3, 0)), ["1:delivered", "2:delivered", "3:delivered"]);
  });

  it("keeps conversations apart", () => {
    const t = new ReceiptTracker();
    t.add(mine(1, "a"));
    t.add(mine(1, "b"));
    assert.deepEqual(statuses(t.apply("a", 1, 1)), ["1:read"]);
    assert.equal(t.unreadCount("b"), 1);
  });

  it("costs O(changed) per receipt over a long conversation", () => {
    const t = new ReceiptTracker();
    const start = performance.now();
    let changed = 0;
    for (let s = 1; s <= 100_000; s++) {
      t.add(mine(s));
      changed += t.apply("c", s, s - 1).length;
    }
    assert.equal(changed, 100_000 + 99_999);
    assert.equal(t.unreadCount("c"), 1);
    assert.ok(performance.now() - start < 1500);
  });
});
