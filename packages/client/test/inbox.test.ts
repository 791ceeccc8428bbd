import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Inbox } from "../src/inbox.ts";

function inbox() {
  const pulls: Array<[string, number]> = [];
  return { pulls, box: new Inbox<string>((conv, after) => pulls.push([conv, after])) };
}

describe("Inbox ordering", () => {
  it("releases in-order items at once and tracks the contiguous seq per conversation", () => {
    const { box, pulls } = inbox();
    assert.deepEqual(box.offer("a", 1, "a1"), ["a1"]);
    assert.deepEqual(box.offer("a", 2, "a2"), ["a2"]);
    assert.deepEqual(box.offer("b", 1, "b1"), ["b1"]);
    assert.equal(box.accepted("a"), 2);
    assert.equal(box.accepted("b"), 1);
    assert.equal(box.accepted("c"), 0);
    assert.deepEqual(pulls, []);
  });

  it("drops duplicates, whether already released or already held", () => {
    const { box } = inbox();
    box.offer("a", 1, "a1");
    assert.deepEqual(box.offer("a", 1, "again"), []);
    box.offer("a", 3, "a3");
    assert.deepEqual(box.offer("a", 3, "a3 again"), []);
    assert.deepEqual(box.offer("a", 2, "a2"), ["a2", "a3"], "the first copy of 3 is kept");
  });

  it("holds items above a gap, pulls once, and releases in order when the gap fills", () => {
    const { box, pulls } = inbox();
    box.offer("a", 1, "a1");
    assert.deepEqual(box.offer("a", 4, "a4"), []);
    assert.deepEqual(box.offer("a", 3, "a3"), []);
    assert.deepEqual(box.offer("a", 6, "a6"), []);
    assert.deepEqual(pulls, [["a", 1]], "one pull for the gap, after the last contiguous seq");
    assert.equal(box.heldCount, 3);
    assert.deepEqual(box.offer("a", 2, "a2"), ["a2", "a3", "a4"]);
    assert.equal(box.accepted("a"), 4);
    assert.deepEqual(box.pulled("a", 2, false), [], "nothing more to release yet");
    assert.deepEqual(
      pulls,
      [
        ["a", 1],
        ["a", 4],
      ],
      "6 still waits behind 5: pull again",
    );
    assert.deepEqual(box.offer("a", 5, "a5"), ["a5", "a6"]);
    assert.equal(box.heldCount, 0);
  });

  it("starts from a restored cursor", () => {
    const { box, pulls } = inbox();
    box.start("a", 10);
    assert.deepEqual(box.offer("a", 9, "old"), []);
    assert.deepEqual(box.offer("a", 11, "a11"), ["a11"]);
    assert.deepEqual(pulls, []);
  });

  it("skips seqs the server no longer has once `pulled` covers them", () => {
    const { box, pulls } = inbox();
    box.offer("a", 1, "a1");
    box.offer("a", 5, "a5");
    box.offer("a", 9, "a9");
    // The server had 3 (1..2 and 4 were pruned) up to 5.
    assert.deepEqual(box.offer("a", 3, "a3"), []);
    assert.deepEqual(box.pulled("a", 5, false), ["a3", "a5"]);
    assert.equal(box.accepted("a"), 5);
    assert.deepEqual(pulls.at(-1), ["a", 5], "9 still waits: pull after 5");
    assert.deepEqual(box.pulled("a", 9, false), ["a9"]);
    assert.equal(box.accepted("a"), 9);
  });

  it("keeps pulling while the server says there is more", () => {
    const { box, pulls } = inbox();
    box.offer("a", 700, "late");
    assert.deepEqual(pulls, [["a", 0]]);
    for (let s = 1; s <= 500; s++) box.offer("a", s, `a${s}`);
    assert.deepEqual(box.pulled("a", 500, true), []);
    assert.deepEqual(pulls.at(-1), ["a", 500]);
    for (let s = 501; s <= 699; s++) box.offer("a", s, `a${s}`);
    assert.equal(box.accepted("a"), 700, "the held item was released by 699");
    assert.deepEqual(box.pulled("a", 699, false), []);
    assert.equal(pulls.length, 2);
  });

  it("gives up on a gap a pull could not fill", () => {
    const { box, pulls } = inbox();
    box.offer("a", 3, "a3");
    assert.deepEqual(box.pulled("a", 0, false), ["a3"], "no progress: skip to the held item");
    assert.equal(box.accepted("a"), 3);
    assert.equal(pulls.length, 1);
  });

  it("asks again after a reconnect for conversations with held items only", () => {
    const { box, pulls } = inbox();
    box.offer("a", 1, "a1");
    box.offer("b", 3, "b3");
    pulls.length = 0;
    box.repull();
    assert.deepEqual(pulls, [["b", 0]]);
  });

  it("rewinds to a durable cursor, forgetting held items", () => {
    const { box } = inbox();
    box.offer("a", 1, "a1");
    box.offer("a", 2, "a2");
    box.offer("a", 4, "a4");
    box.rewind("a", 1);
    assert.equal(box.accepted("a"), 1);
    assert.equal(box.heldCount, 0);
    assert.deepEqual(box.offer("a", 2, "a2"), ["a2"]);
  });

  it("handles 100k in-order items in linear time", () => {
    const { box } = inbox();
    const start = performance.now();
    let released = 0;
    for (let s = 1; s <= 100_000; s++)
      released += box.offer(`c${s % 100}`, Math.ceil(s / 100), "x").length;
    assert.equal(released, 100_000);
    assert.ok(performance.now() - start < 1000);
  });

  it("pulls what a notify announces, once per round trip, until caught up", () => {
    const { box, pulls } = inbox();
    box.offer("g", 1, "g1");
    box.notify("g", 3);
    box.notify("g", 5);
    assert.deepEqual(pulls, [["g", 1]], "one pull in flight");
    box.offer("g", 2, "g2");
    box.offer("g", 3, "g3");
    assert.deepEqual(box.pulled("g", 3, false), []);
    assert.deepEqual(pulls.at(-1), ["g", 3], "5 was announced meanwhile: pull on");
    box.offer("g", 4, "g4");
    box.offer("g", 5, "g5");
    box.pulled("g", 5, false);
    assert.equal(pulls.length, 2, "caught up");
    box.notify("g", 5);
    assert.equal(pulls.length, 2, "an old notify does nothing");
  });

  it("stops chasing a notify the server cannot serve", () => {
    const { box, pulls } = inbox();
    box.notify("g", 4);
    box.pulled("g", 0, false);
    assert.equal(pulls.length, 1);
    box.repull();
    assert.equal(pulls.length, 1, "forgotten, not retried forever");
  });
});
