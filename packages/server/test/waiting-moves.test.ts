import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WaitingMoves } from "../src/delivery/waiting-moves.ts";
import type { CursorMove } from "../src/store/store.ts";

/** A clock the test moves by hand. */
function manualClock() {
  let now = 1000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function ack(deviceId: string, conversationId: string, delivered: number): CursorMove {
  return { conversationId, userId: `user-of-${deviceId}`, deviceId, delivered };
}

const membersOf = (move: CursorMove) => move.conversationId.split("+");

/**
 * Schedules staggered store calls and returns them as they come; the timer is cancelled when
 * the test ends, passed or failed (a failed one would otherwise keep rescheduling).
 */
function staggeredCalls(t: TestContext, waiting: WaitingMoves, windowMs: number): CursorMove[][] {
  const stored: CursorMove[][] = [];
  waiting.schedule(windowMs, true, (moves) => stored.push(moves));
  t.after(() => void waiting.take());
  return stored;
}

describe("WaitingMoves", () => {
  it("keeps the highest seq per device and conversation, in the order the waits began", () => {
    const waiting = new WaitingMoves();
    waiting.add(ack("d2", "c", 4));
    waiting.add(ack("d1", "c", 7));
    waiting.add(ack("d2", "c", 9));
    waiting.add(ack("d2", "c", 5)); // lower: ignored
    waiting.add({ conversationId: "c", userId: "user-of-d1", deviceId: "d1", read: 6 });
    assert.deepEqual(waiting.take(), [ack("d2", "c", 9), { ...ack("d1", "c", 7), read: 6 }]);
    assert.deepEqual(waiting.take(), []);
  });

  it("starts each wait afresh with the move that began it, on the same slot", () => {
    const waiting = new WaitingMoves();
    waiting.add({ ...ack("d1", "c", 3), read: 3 });
    assert.deepEqual(waiting.take(), [{ ...ack("d1", "c", 3), read: 3 }]);
    // Nothing of the stored wait (read 3) comes back with the next one.
    waiting.add(ack("d1", "c", 4));
    const [next] = waiting.take();
    assert.deepEqual(next, ack("d1", "c", 4));
    assert.equal(Object.hasOwn(next as object, "read"), false);
    assert.equal(waiting.slots, 1);
  });

  it("hands out copies: raising a later wait does not change a move already taken", () => {
    const waiting = new WaitingMoves();
    waiting.add(ack("d1", "c", 1));
    const [taken] = waiting.take();
    waiting.add(ack("d1", "c", 2));
    assert.deepEqual(taken, ack("d1", "c", 1));
  });

  it("takes a user's moves alone, and a slot taken out of turn comes due by its new wait", async (t) => {
    const clock = manualClock();
    const waiting = new WaitingMoves(membersOf, { now: clock.now });
    waiting.add(ack("d3", "c+d", 1)); // t=0
    clock.advance(10);
    waiting.add(ack("d1", "a+b", 1)); // t=10
    assert.deepEqual(waiting.takeFor("a"), [ack("d1", "a+b", 1)]);
    assert.deepEqual(waiting.takeFor("a"), []);
    clock.advance(10);
    waiting.add(ack("d1", "a+b", 2)); // t=20: waits again, its old place (t=10) is stale
    // Staggered, 15 ms window, at t=25: the waits up to t=10 are due. That is d3's; d1's old
    // place is due too, but its current wait (t=20) must not go out through it.
    clock.advance(5);
    const stored = staggeredCalls(t, waiting, 15);
    await sleep(5);
    assert.deepEqual(stored[0], [ack("d3", "c+d", 1)]);
    assert.deepEqual(waiting.takeFor("b"), [ack("d1", "a+b", 2)]);
  });

  it("never drops a slot that waits, however long it was idle before", async (t) => {
    const clock = manualClock();
    const waiting = new WaitingMoves(membersOf, { now: clock.now, idleMs: 100 });
    waiting.add(ack("d2", "c+d", 1));
    assert.equal(waiting.take().length, 1); // d2 used at t=0, then idle
    clock.advance(200);
    waiting.add(ack("d9", "e+f", 1)); // t=200
    clock.advance(10);
    waiting.add(ack("d2", "c+d", 2)); // t=210: waits, after 210 ms idle
    clock.advance(45);
    // Staggered, 50 ms window, at t=255: d9 is due, d2 is not; the sweep after it runs.
    const stored = staggeredCalls(t, waiting, 50);
    await sleep(10);
    assert.deepEqual(stored[0], [ack("d9", "e+f", 1)]);
    assert.equal(waiting.slots, 2, "d9 was used just now, d2 waits");
    assert.deepEqual(waiting.takeFor("c"), [ack("d2", "c+d", 2)]);
  });

  it("drops a slot that stayed idle, and keeps one that waits", async () => {
    const clock = manualClock();
    const waiting = new WaitingMoves(membersOf, { now: clock.now, idleMs: 100 });
    waiting.add(ack("d1", "a+b", 1));
    waiting.add(ack("d2", "c+d", 1));
    const stored: CursorMove[][] = [];
    // Both come due at once; d1 is then idle, d2 acks again and waits.
    clock.advance(60);
    waiting.schedule(10, false, (moves) => {
      if (stored.push(moves) === 1) waiting.add(ack("d2", "c+d", 2));
    });
    await sleep(5);
    assert.equal(stored.length, 1);
    assert.equal(waiting.slots, 2);
    // 150 ms on, the next timer sweeps: d1 has been idle for more than 100 ms, d2 waits.
    clock.advance(150);
    await sleep(15);
    assert.equal(waiting.take().length, 0, "the second call stored d2's wait");
    assert.deepEqual(stored[1], [ack("d2", "c+d", 2)]);
    assert.equal(waiting.slots, 1);
    assert.deepEqual(waiting.takeFor("a"), []);
    waiting.add(ack("d1", "a+b", 3)); // a dropped slot comes back as a new one
    assert.deepEqual(waiting.takeFor("b"), [ack("d1", "a+b", 3)]);
  });
});
