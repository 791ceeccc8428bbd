import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { directConversationId } from "@courier/protocol";
import pg from "pg";
import { migrations } from "../src/store/store.postgres.migrations.ts";
import { PostgresStore } from "../src/store/store.postgres.ts";
import { StoreUnavailableError } from "../src/store/store.ts";
import { runStoreContract } from "./store.contract.ts";
import { assertUpgradedCidKey, version5Rows } from "./store-contract/cid-key.ts";
import {
  assertUpgradedReceipts,
  groupOfThirty,
  version3Rows,
} from "./store-contract/cursors-at.ts";
import { freshDatabase, freshSchema, postgresSkip, type TestDatabase } from "./support/postgres.ts";
import { TcpProxy } from "./support/tcp-proxy.ts";

/**
 * Builds the schema up to `version` holding `rows` through `client`, then opens it as a store
 * (which runs the newer migrations) and runs `check` on the upgraded store.
 */
async function upgradeFrom(
  client: pg.Client,
  url: string,
  version: number,
  rows: string,
  check: (store: PostgresStore) => Promise<void>,
): Promise<void> {
  await client.query(
    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)",
  );
  for (const [i, sql] of migrations.slice(0, version).entries()) {
    await client.query(sql);
    await client.query("INSERT INTO schema_migrations VALUES ($1, 0)", [i + 1]);
  }
  await client.query(rows);
  const store = await PostgresStore.open({ url });
  try {
    await check(store);
  } finally {
    await store.close();
  }
}

/**
 * What only PostgreSQL has to prove beyond the shared contract: several nodes on one database
 * (concurrent migrations, seqs and dedupe serialised across stores) and losing the connection.
 */

const skip = await postgresSkip();

if (skip === false) {
  // One database for the file, a fresh schema (an empty store) per test.
  let shared: Promise<TestDatabase> | undefined;
  after(async () => {
    if (shared) await (await shared).drop();
  });
  runStoreContract("PostgreSQL", async () => {
    shared ??= freshDatabase();
    const schema = await freshSchema(await shared);
    return {
      store: await PostgresStore.open({ url: schema.url }),
      reopen: () => PostgresStore.open({ url: schema.url }),
      cleanup: () => schema.drop(),
    };
  });
}

describe("PostgresStore: cluster behaviour", { skip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  /** A conversation between two fresh users, with one device each. */
  async function pair(store: PostgresStore, tag: string) {
    const a = await store.createUser({ username: `a-${tag}`, displayName: "A", passwordHash: "h" });
    const b = await store.createUser({ username: `b-${tag}`, displayName: "B", passwordHash: "h" });
    const da = await store.createDevice({ userId: a.id, name: "a", tokenHash: `ta-${tag}` });
    const dbv = await store.createDevice({ userId: b.id, name: "b", tokenHash: `tb-${tag}` });
    const conv = `d:${tag}`;
    await store.ensureDirectConversation(conv, a.id, b.id);
    return { a, b, da, db: dbv, conv };
  }

  test("three nodes migrate the same database at once", async () => {
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ url: db.url })));
    await Promise.all(stores.map((s) => s.close()));
  });

  test("seqs stay gapless and dedupe holds when two nodes append to one conversation", async () => {
    const [s1, s2] = await Promise.all([
      PostgresStore.open({ url: db.url }),
      PostgresStore.open({ url: db.url }),
    ]);
    try {
      const { a, b, da, db: dbv, conv } = await pair(s1, "race");
      const sends = [];
      for (let i = 0; i < 2000; i++) {
        const mine = i % 2 === 0;
        const input = {
          conversationId: conv,
          senderId: mine ? a.id : b.id,
          senderDeviceId: mine ? da.id : dbv.id,
          cid: `c${i % 1500}`, // the last 500 repeat earlier cids: half of them from the other node
          content: { type: "text" as const, text: `m${i}` },
        };
        sends.push((i % 4 < 2 ? s1 : s2).appendMessage(input));
      }
      const results = await Promise.all(sends);
      const fresh = results.filter((r) => !r.duplicate).map((r) => r.message.seq);
      assert.equal(fresh.length, 1500);
      assert.deepEqual(
        fresh.toSorted((x, y) => x - y),
        Array.from({ length: 1500 }, (_, i) => i + 1),
      );
      // Every duplicate answers with the original's seq and id.
      const bySenderCid = new Map<string, string>();
      for (const r of results.filter((x) => !x.duplicate)) {
        bySenderCid.set(`${r.message.senderId}/${r.message.cid}`, r.message.id);
      }
      for (const r of results.filter((x) => x.duplicate)) {
        assert.equal(bySenderCid.get(`${r.message.senderId}/${r.message.cid}`), r.message.id);
      }
      // One sender's messages through one node keep their call order.
      const fromA = results.filter((r, i) => !r.duplicate && i % 4 === 0).map((r) => r.message.seq);
      assert.deepEqual(
        fromA,
        fromA.toSorted((x, y) => x - y),
      );
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });

  test("group changes racing on two nodes keep the rules and the seqs gapless", async () => {
    const [s1, s2] = await Promise.all([
      PostgresStore.open({ url: db.url }),
      PostgresStore.open({ url: db.url }),
    ]);
    try {
      const { a, b, da, db: dbv } = await pair(s1, "grp");
      const extra = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          s1.createUser({ username: `x${i}-grp`, displayName: "X", passwordHash: "h" }),
        ),
      );
      const { group } = await s1.createGroup({
        name: "race",
        creatorId: a.id,
        creatorDeviceId: da.id,
        members: [b.id],
        maxMembers: 4,
      });
      await s2.changeGroup({
        conversationId: group.id,
        actorId: a.id,
        actorDeviceId: da.id,
        maxMembers: 4,
        kind: "promote",
        user: b.id,
      });
      // Two admins on two nodes each add two users to a group with room for two more: exactly
      // one wins; the other is refused inside its transaction. Messages append meanwhile.
      const add = (store: PostgresStore, actor: string, device: string, users: string[]) =>
        store.changeGroup({
          conversationId: group.id,
          actorId: actor,
          actorDeviceId: device,
          maxMembers: 4,
          kind: "add",
          users,
        });
      const sends = Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? s1 : s2).appendMessage({
          conversationId: group.id,
          senderId: a.id,
          senderDeviceId: da.id,
          cid: `g${i}`,
          content: { type: "text", text: `m${i}` },
        }),
      );
      const outcomes = await Promise.allSettled([
        add(s1, a.id, da.id, [extra[0]!.id, extra[1]!.id]),
        add(s2, b.id, dbv.id, [extra[2]!.id, extra[3]!.id]),
      ]);
      await Promise.all(sends);
      assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
      const refused = outcomes.find((o) => o.status === "rejected");
      assert.equal((refused as PromiseRejectedResult).reason.code, "limit_reached");
      const info = await s2.groupInfo(group.id);
      assert.equal(info?.members.length, 4);
      const [row] = (await s2.conversationsOf(a.id)).filter((c) => c.id === group.id);
      assert.equal(row?.memberCount, 4);
      const all = await s1.messagesAfter(group.id, 0, 100);
      assert.deepEqual(
        all.map((m) => m.seq),
        Array.from({ length: 53 }, (_, i) => i + 1),
      );
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });

  test("a cursor batch stamps each group's cursors_at once, however many members advance", async () => {
    const schema = await freshSchema(db);
    const store = await PostgresStore.open({ url: schema.url });
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const { people, owner, rest, group, ack } = await groupOfThirty(store);
      const direct = directConversationId(owner.user.id, rest[0]!.user.id);
      await store.ensureDirectConversation(direct, owner.user.id, rest[0]!.user.id);
      await store.appendMessage({
        conversationId: direct,
        senderId: owner.user.id,
        senderDeviceId: owner.device.id,
        cid: "hi",
        content: { type: "text", text: "hi" },
      });
      // Every write of the column, logged by a row trigger.
      await client.query(`
        CREATE TABLE stamps (n serial, conversation_id text NOT NULL, at bigint NOT NULL);
        CREATE FUNCTION log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO stamps (conversation_id, at) VALUES (NEW.id, NEW.cursors_at); RETURN NEW; END
        $$;
        CREATE TRIGGER log_stamps AFTER UPDATE OF cursors_at ON conversations
          FOR EACH ROW EXECUTE FUNCTION log_stamp();
      `);
      const stamps = async () =>
        (
          await client.query<{ conversation_id: string }>(
            "SELECT conversation_id FROM stamps ORDER BY n",
          )
        ).rows.map((r) => r.conversation_id);

      // One call: every member advances, some twice; a direct conversation moves beside them.
      await store.moveCursors([
        ...people.map((p) => ack(p, 1)),
        ...people.slice(0, 5).map((p) => ack(p, 1, 1)),
        {
          conversationId: direct,
          userId: rest[0]!.user.id,
          deviceId: rest[0]!.device.id,
          delivered: 1,
        },
      ]);
      assert.deepEqual(
        await stamps(),
        [group.id],
        "one write, and none for the direct conversation",
      );
      // Repeated acks advance nothing: no write.
      await store.moveCursors(people.map((p) => ack(p, 1)));
      assert.equal((await stamps()).length, 1);
      // Calls made in one tick commit as one batch: one write for all of them.
      await new Promise((resolve) => setTimeout(resolve, 3));
      await Promise.all(rest.map((p) => store.moveCursors([ack(p, 1, 1)])));
      assert.deepEqual(await stamps(), [group.id, group.id]);
      const { rows } = await client.query<{ id: string; cursors_at: string }>(
        "SELECT id, cursors_at::text FROM conversations ORDER BY id",
      );
      assert.equal(rows.find((r) => r.id === direct)?.cursors_at, "0");
    } finally {
      await client.end();
      await store.close();
      await schema.drop();
    }
  });

  test("upgrades a version-3 database: groups keep their last member change as cursors_at", async () => {
    const schema = await freshSchema(db);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      await upgradeFrom(client, schema.url, 3, version3Rows, assertUpgradedReceipts);
      const { rows } = await client.query<{ id: string; cursors_at: string }>(
        "SELECT id, cursors_at::text FROM conversations ORDER BY id",
      );
      assert.deepEqual(
        rows.map((r) => [r.id, r.cursors_at]),
        [
          ["d:u1:u2", "0"],
          ["g:1", "2000"],
        ],
      );
      const index = await client.query(
        `SELECT 1 FROM pg_indexes
         WHERE schemaname = current_schema() AND indexname = 'members_by_conversation_updated'`,
      );
      assert.equal(index.rowCount, 0);
    } finally {
      await client.end();
      await schema.drop();
    }
  });

  test("upgrades a version-5 database: the idempotency key is led by cid", async () => {
    const schema = await freshSchema(db);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      await upgradeFrom(client, schema.url, 5, version5Rows, assertUpgradedCidKey);
      const { rows } = await client.query<{ def: string }>(
        `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         WHERE t.relname = 'messages' AND t.relnamespace = current_schema()::regnamespace
           AND c.contype = 'u'`,
      );
      assert.deepEqual(
        rows.map((r) => r.def),
        ["UNIQUE (cid, sender_id)"],
      );
    } finally {
      await client.end();
      await schema.drop();
    }
  });

  test("losing the database rejects with StoreUnavailableError, then recovers by itself", async () => {
    const url = new URL(db.url);
    const proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    const store = await PostgresStore.open({ url: url.toString(), queryTimeoutMs: 2000 });
    try {
      const { a, da, conv } = await pair(store, "loss");
      const send = (cid: string) =>
        store.appendMessage({
          conversationId: conv,
          senderId: a.id,
          senderDeviceId: da.id,
          cid,
          content: { type: "text", text: cid },
        });
      assert.equal((await send("before")).message.seq, 1);

      proxy.cut();
      await assert.rejects(send("during"), StoreUnavailableError);
      await assert.rejects(store.messagesAfter(conv, 0, 10), StoreUnavailableError);

      proxy.restore();
      // "during" was never acked; its retry is stored exactly once.
      const retried = await send("during");
      assert.equal(retried.duplicate, false);
      assert.equal(retried.message.seq, 2);
      const all = await store.messagesAfter(conv, 0, 10);
      assert.deepEqual(
        all.map((m) => m.cid),
        ["before", "during"],
      );
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
