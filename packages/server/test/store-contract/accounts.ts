import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StoreConflictError } from "../../src/store/store.ts";
import { device, type MakeStore, sleep, user, withStore } from "./fixture.ts";

export function accountsContract(make: MakeStore): void {
  describe("users and devices", () => {
    it("creates users and finds them by id and by name", () =>
      withStore(make, async ({ store }) => {
        const before = Date.now();
        const alice = await store.createUser({
          username: "alice",
          displayName: "Alice",
          passwordHash: "hash-a",
        });
        assert.equal(alice.username, "alice");
        assert.equal(alice.displayName, "Alice");
        assert.equal(alice.passwordHash, "hash-a");
        assert.match(alice.id, /^[A-Za-z0-9_-]{8,}$/);
        assert.ok(alice.createdAt >= before && alice.createdAt <= Date.now());
        const bob = await user(store, "bob");
        assert.notEqual(bob.id, alice.id);

        assert.deepEqual(await store.userById(alice.id), alice);
        assert.deepEqual(await store.userByName("bob"), bob);
        assert.equal(await store.userById("nobody"), undefined);
        assert.equal(await store.userByName("nobody"), undefined);

        await store.setDisplayName(alice.id, "Alice Liddell");
        assert.equal((await store.userById(alice.id))?.displayName, "Alice Liddell");
        assert.equal((await store.userById(bob.id))?.displayName, "BOB");
      }));

    it("rejects a taken username with StoreConflictError and keeps the first user", () =>
      withStore(make, async ({ store }) => {
        const first = await user(store, "carol");
        await assert.rejects(
          store.createUser({ username: "carol", displayName: "Other", passwordHash: "x" }),
          StoreConflictError,
        );
        assert.deepEqual(await store.userByName("carol"), first);
        // The store still works after the conflict.
        assert.equal((await user(store, "carol2")).username, "carol2");
      }));

    it("searches usernames by prefix, alphabetically, up to the limit", () =>
      withStore(make, async ({ store }) => {
        for (const name of ["alina", "bob", "al", "albert", "alice", "xal", "al_b", "al.c"]) {
          await user(store, name);
        }
        const names = async (prefix: string, limit: number) =>
          (await store.searchUsers(prefix, limit)).map((u) => u.username);
        assert.deepEqual(await names("al", 10), ["al", "al.c", "al_b", "albert", "alice", "alina"]);
        assert.deepEqual(await names("al", 2), ["al", "al.c"]);
        assert.deepEqual(await names("ali", 10), ["alice", "alina"]);
        assert.deepEqual(await names("alice", 10), ["alice"]);
        assert.deepEqual(await names("alicex", 10), []);
        assert.deepEqual(await names("z", 10), []);
        assert.equal((await store.searchUsers("", 100)).length, 8);
      }));

    it("creates devices, finds them by token hash, lists the active ones oldest first", () =>
      withStore(make, async ({ store }) => {
        const alice = await user(store, "alice");
        const bob = await user(store, "bob");
        const phone = await store.createDevice({
          userId: alice.id,
          name: "phone",
          tokenHash: "t1",
        });
        assert.equal(phone.userId, alice.id);
        assert.equal(phone.name, "phone");
        assert.equal(phone.lastActiveAt, phone.createdAt);
        await sleep(3);
        const laptop = await store.createDevice({
          userId: alice.id,
          name: "laptop",
          tokenHash: "t2",
        });
        await sleep(3);
        const tablet = await store.createDevice({
          userId: alice.id,
          name: "tablet",
          tokenHash: "t3",
        });
        const bobs = await device(store, bob.id);

        assert.deepEqual(await store.deviceByTokenHash("t2"), laptop);
        assert.equal(await store.deviceByTokenHash("nope"), undefined);
        assert.deepEqual(
          (await store.devicesOf(alice.id)).map((d) => d.id),
          [phone.id, laptop.id, tablet.id],
        );
        assert.deepEqual(await store.devicesOf(bob.id), [bobs]);
        assert.deepEqual(await store.devicesOf("nobody"), []);
      }));

    it("revokes a device only for its owner, once, and hides it afterwards", () =>
      withStore(make, async ({ store }) => {
        const alice = await user(store, "alice");
        const bob = await user(store, "bob");
        const phone = await store.createDevice({
          userId: alice.id,
          name: "phone",
          tokenHash: "t1",
        });
        const laptop = await device(store, alice.id, "laptop");

        assert.equal(await store.revokeDevice(bob.id, phone.id), false, "not bob's device");
        assert.ok(await store.deviceByTokenHash("t1"));
        assert.equal(await store.revokeDevice(alice.id, phone.id), true);
        assert.equal(await store.revokeDevice(alice.id, phone.id), false, "already revoked");
        assert.equal(await store.revokeDevice(alice.id, "no-such-device"), false);

        assert.equal(await store.deviceByTokenHash("t1"), undefined);
        assert.deepEqual(
          (await store.devicesOf(alice.id)).map((d) => d.id),
          [laptop.id],
        );
      }));

    it("records device activity", () =>
      withStore(make, async ({ store }) => {
        const alice = await user(store, "alice");
        const phone = await device(store, alice.id);
        const at = phone.createdAt + 60_000;
        await store.touchDevice(phone.id, at);
        const [listed] = await store.devicesOf(alice.id);
        assert.equal(listed?.lastActiveAt, at);
        assert.equal(listed?.createdAt, phone.createdAt);
      }));
  });
}
