import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { it } from "node:test";
import { directConversationId } from "@courier/protocol";
import { Membership } from "../src/delivery/membership.ts";
import { SqliteStore } from "../src/store/store.sqlite.ts";
import { user } from "./store-contract/fixture.ts";

it("peek answers only settled member lookups that are still current", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "courier-membership-"));
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    const alice = await user(store, "alice");
    const bob = await user(store, "bob");
    const conv = directConversationId(alice.id, bob.id);
    await store.ensureDirectConversation(conv, alice.id, bob.id);
    const membership = new Membership(store);

    assert.equal(membership.peek(conv), undefined, "nothing cached yet");
    const lookup = membership.membersOf(conv);
    assert.equal(membership.peek(conv), undefined, "a lookup under way is not an answer");
    const members = await lookup;
    assert.deepEqual(membership.peek(conv)?.ids, members);
    assert.equal(membership.peek(conv)?.set.has(alice.id), true);

    // A membership change: forgotten at once, and a stale lookup cannot put it back.
    const stale = membership.membersOf("d:nobody:none");
    membership.forget(conv);
    assert.equal(membership.peek(conv), undefined);
    const reloading = membership.membersOf(conv);
    membership.forget(conv);
    await reloading;
    assert.equal(membership.peek(conv), undefined, "the lookup forgotten meanwhile");

    // Unknown conversations are never cached as known.
    assert.equal(await stale, undefined);
    assert.equal(membership.peek("d:nobody:none"), undefined);

    await membership.membersOf(conv);
    assert.notEqual(membership.peek(conv), undefined);
    membership.forgetAll();
    assert.equal(membership.peek(conv), undefined);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
