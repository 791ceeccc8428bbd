import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import type { Bus, BusEvent } from "../src/routing/bus.ts";

/**
 * The one contract every Bus passes (see `routing/bus.ts`). `makeBuses` returns two "nodes"
 * on one backend: for the memory bus the same instance twice, for NATS two connections. Tests
 * about two distinct nodes (presence counted per node) run only when the two differ.
 */
export interface BusPair {
  a: Bus;
  b: Bus;
  close(): Promise<void>;
}

let users = 0;
/** A user id no other test touches. */
function freshUser(): string {
  return `u${process.pid}x${Date.now().toString(36)}x${++users}`;
}

function typing(n: number): ServerFrame {
  return { t: "typing", conv: "c", user: "x", on: n % 2 === 0 };
}

/** Polls until `check` passes (or throws its last failure after `ms`). */
export async function eventually(check: () => void | Promise<void>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export function runBusContract(name: string, makeBuses: () => Promise<BusPair>): void {
  describe(`Bus contract: ${name}`, () => {
    let pair: BusPair;
    let a: Bus;
    let b: Bus;
    before(async () => {
      pair = await makeBuses();
      a = pair.a;
      b = pair.b;
    });
    after(async () => {
      await pair?.close();
    });

    test("ready resolves while the backend is up", async () => {
      await a.ready();
      await b.ready();
    });

    test("an event reaches handlers of the user on this node and on the other", async () => {
      const user = freshUser();
      const onA: BusEvent[] = [];
      const onB: BusEvent[] = [];
      const offA = a.subscribe(user, (e) => onA.push(e));
      const offB = b.subscribe(user, (e) => onB.push(e));
      await b.ready();
      const event: BusEvent = { frame: typing(0), exceptDevice: "d1" };
      a.publish(user, event);
      await eventually(() => {
        assert.deepEqual(onA, [event]);
        assert.deepEqual(onB, [event]);
      });
      offA();
      offB();
    });

    test("events of one publisher to one user arrive in publish order, each once", async () => {
      const user = freshUser();
      const got: number[] = [];
      const off = b.subscribe(user, (e) => {
        if (e.frame?.t === "typing") got.push(Number(e.onlyDevice));
      });
      await b.ready();
      for (let i = 0; i < 500; i++) a.publish(user, { frame: typing(i), onlyDevice: String(i) });
      await eventually(() => assert.equal(got.length, 500));
      assert.deepEqual(
        got,
        Array.from({ length: 500 }, (_, i) => i),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(got.length, 500, "no event is delivered twice");
      off();
    });

    test("two handlers for one user on one node each get the event once", async () => {
      const user = freshUser();
      let first = 0;
      let second = 0;
      const off1 = b.subscribe(user, () => first++);
      const off2 = b.subscribe(user, () => second++);
      await b.ready();
      a.publish(user, { revokeDevice: "d" });
      await eventually(() => assert.deepEqual([first, second], [1, 1]));
      off1();
      a.publish(user, { revokeDevice: "d" });
      await eventually(() => assert.deepEqual([first, second], [1, 2]));
      off2();
    });

    test("after unsubscribing, a node gets nothing more for the user", async () => {
      const user = freshUser();
      const got: BusEvent[] = [];
      const off = b.subscribe(user, (e) => got.push(e));
      await b.ready();
      off();
      await b.ready();
      a.publish(user, { frame: typing(1) });
      // Something that does arrive afterwards, to know the first had its chance.
      const marker = freshUser();
      let markerSeen = false;
      const offMarker = b.subscribe(marker, () => {
        markerSeen = true;
      });
      await b.ready();
      a.publish(marker, { frame: typing(2) });
      await eventually(() => assert.ok(markerSeen));
      assert.deepEqual(got, []);
      offMarker();
    });

    test("publishing to a user nobody holds is a no-op", async () => {
      a.publish(freshUser(), { frame: typing(3) });
      await a.ready();
    });

    test("presence: online while connected, then offline with last seen", async () => {
      const user = freshUser();
      const t0 = Date.now();
      await a.setPresence(user, true, t0);
      await eventually(async () => {
        const seen = (await b.presenceOf([user])).get(user);
        assert.equal(seen?.online, true);
        assert.ok((seen?.lastSeen ?? 0) >= t0);
      });
      await a.setPresence(user, false, t0 + 5);
      await eventually(async () => {
        assert.deepEqual((await b.presenceOf([user])).get(user), {
          online: false,
          lastSeen: t0 + 5,
        });
      });
    });

    test("presence: a user never seen has no entry", async () => {
      const result = await b.presenceOf([freshUser()]);
      assert.equal(result.size, 0);
    });

    test("presence: online while any node holds a connection", async (t) => {
      if (a === b) {
        t.skip("one node: per-node counting needs two");
        return;
      }
      const user = freshUser();
      const t0 = Date.now();
      await a.setPresence(user, true, t0);
      await b.setPresence(user, true, t0 + 1);
      await a.setPresence(user, false, t0 + 2);
      assert.equal((await a.presenceOf([user])).get(user)?.online, true);
      await b.setPresence(user, false, t0 + 3);
      assert.deepEqual((await a.presenceOf([user])).get(user), { online: false, lastSeen: t0 + 3 });
    });
  });
}
