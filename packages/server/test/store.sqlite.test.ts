import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { migrations } from "../src/store/store.sqlite.schema.ts";
import { SqliteStore, type SqliteStoreOptions } from "../src/store/store.sqlite.ts";
import { StoreUnavailableError } from "../src/store/store.ts";
import { runStoreContract } from "./store.contract.ts";
import { assertUpgradedCidKey, version5Rows } from "./store-contract/cid-key.ts";
import {
  assertUpgradedReceipts,
  groupOfThirty,
  version3Rows,
} from "./store-contract/cursors-at.ts";
import { type MakeStore, pair, range, send, seqs, sleep } from "./store-contract/fixture.ts";

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "courier-sqlite-"));
}

function sqliteFactory(options: Omit<SqliteStoreOptions, "dataDir"> = {}): MakeStore {
  return async () => {
    const dataDir = await tempDir();
    return {
      store: await SqliteStore.open({ dataDir, ...options }),
      reopen: () => SqliteStore.open({ dataDir, ...options }),
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  };
}

runStoreContract("SQLite", sqliteFactory());
runStoreContract("SQLite, reads in the worker", sqliteFactory({ reads: "worker" }));

/**
 * Writes a database at schema `version` holding `rows` into `dataDir`, then opens it as a store
 * (which runs the newer migrations) and runs `check` on the upgraded store.
 */
async function upgradeFrom(
  dataDir: string,
  version: number,
  rows: string,
  check: (store: SqliteStore) => Promise<void>,
): Promise<void> {
  const db = new DatabaseSync(join(dataDir, "courier.db"));
  db.exec(
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  for (const m of migrations.filter((x) => x.version <= version)) {
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations VALUES (?, 0)").run(m.version);
  }
  db.exec(rows);
  db.close();
  const store = await SqliteStore.open({ dataDir });
  try {
    await check(store);
  } finally {
    await store.close();
  }
}

/** Opens a store in a temp dir, runs `fn`, always closes and removes it. */
async function withSqlite(fn: (store: SqliteStore, dataDir: string) => Promise<void>) {
  const dataDir = await tempDir();
  const store = await SqliteStore.open({ dataDir });
  try {
    await fn(store, dataDir);
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Retries `fn` until it succeeds (the worker is being replaced), for at most `ms`. */
/**
 * Twelve calls of 1,000 cursor moves for `member`, as CursorBatcher posts a large group's acks;
 * each pushes `moves<i>` to `order` when answered, then calls `onAnswered`.
 */
function moveFlood(
  store: SqliteStore,
  conversationId: string,
  member: { user: { id: string }; device: { id: string } },
  order: string[],
  onAnswered: () => void = () => {},
): Promise<void>[] {
  const move = { conversationId, userId: member.user.id, deviceId: member.device.id, delivered: 1 };
  return range(1, 12).map((i) =>
    store.moveCursors(range(1, 1000).map(() => ({ ...move }))).then(() => {
      order.push(`moves${i}`);
      onAnswered();
    }),
  );
}

async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline || !(err instanceof StoreUnavailableError)) throw err;
      await sleep(20);
    }
  }
}

describe("SQLite store specifics", () => {
  it("keeps one WAL-mode file, versioned by schema_migrations", () =>
    withSqlite(async (_store, dataDir) => {
      const db = new DatabaseSync(join(dataDir, "courier.db"), { readOnly: true });
      try {
        const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
        assert.equal(mode.journal_mode, "wal");
        const versions = db.prepare("SELECT version FROM schema_migrations").all();
        assert.deepEqual(
          versions.map((v) => v.version),
          migrations.map((m) => m.version),
        );
      } finally {
        db.close();
      }
    }));

  it("group-commits concurrent appends into few batches", () =>
    withSqlite(async (store) => {
      const { alice, conv } = await pair(store);
      const before = store.batchStats();
      await Promise.all(range(1, 1000).map((i) => send(store, conv, alice, `c${i}`)));
      const after = store.batchStats();
      const batches = after.batches - before.batches;
      assert.equal(after.requests - before.requests, 1000);
      assert.ok(batches < 100, `1,000 appends took ${batches} commits`);
      assert.ok(after.maxBatch >= 10);
    }));

  it("lets an append pass a flood of cursor moves queued before it", () =>
    withSqlite(async (store) => {
      const { alice, bob, conv } = await pair(store);
      await send(store, conv, alice, "first");
      // Twelve chunks of 1,000 moves (as CursorBatcher posts a large group's acks), then one
      // append, all in the same tick: the append must not wait for every chunk.
      const order: string[] = [];
      const chunks = moveFlood(store, conv, bob, order);
      const append = send(store, conv, alice, "second").then(() => {
        order.push("append");
      });
      await Promise.all([...chunks, append]);
      // Everything else goes before moves: the append's batch carries none of these chunks.
      assert.equal(order[0], "append", `answered in the order ${order.join(", ")}`);
      const last = await store.messagesAfter(conv, 0, 10);
      assert.deepEqual(seqs(last), [1, 2]);
    }));

  it("ends a batch of moves early for an append that arrives while it runs", () =>
    withSqlite(async (store) => {
      const { alice, bob, conv } = await pair(store);
      await send(store, conv, alice, "first");
      const order: string[] = [];
      let append: Promise<void> | undefined;
      // Twelve chunks of 1,000 moves, two per batch (MOVE_BUDGET); the append comes once the
      // first batch is answered, so while the second one runs.
      const chunks = moveFlood(store, conv, bob, order, () => {
        append ??= send(store, conv, alice, "second").then(() => {
          order.push("append");
        });
      });
      await Promise.all(chunks);
      await append;
      // Without the early end it would follow the next two chunks, in their batch.
      assert.ok(
        order.indexOf("append") < order.indexOf("moves6"),
        `answered in the order ${order.join(", ")}`,
      );
    }));

  it("moves the WAL into the database file in the background, not on the writer", async () => {
    const dataDir = await tempDir();
    const store = await SqliteStore.open({ dataDir, checkpoints: { intervalMs: 50 } });
    try {
      const file = join(dataDir, "courier.db");
      await sleep(200); // whatever migration left in the WAL is copied now
      const before = (await stat(file)).size;
      const { alice, conv } = await pair(store);
      await Promise.all(
        range(1, 300).map((i) => send(store, conv, alice, `c${i}`, "x".repeat(500))),
      );
      // Far below the writer's autocheckpoint (40,000 pages): only the checkpointer copies this.
      await sleep(300);
      assert.ok(
        (await stat(file)).size > before,
        "the database file grew without a checkpoint on the writer",
      );
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("has the writer rewind the WAL once the checkpointer caught up, long before its autocheckpoint", async () => {
    const dataDir = await tempDir();
    const store = await SqliteStore.open({
      dataDir,
      checkpoints: { intervalMs: 10, rewindFrames: 200 },
    });
    try {
      const wal = join(dataDir, "courier.db-wal");
      const { alice, conv } = await pair(store);
      // 20 lanes of 400 appends each, one after the other in each lane: the writer never goes
      // idle, so the checkpointer never catches up with a WAL that nothing writes to (which
      // would let the next transaction rewind it without the writer's help). About 10,000 WAL
      // frames in all, far below the writer's autocheckpoint (40,000): without the rewinds the
      // WAL file would hold every one of them.
      await Promise.all(
        range(1, 20).map(async (lane) => {
          for (let i = 1; i <= 400; i++)
            await send(store, conv, alice, `l${lane}-${i}`, "x".repeat(500));
        }),
      );
      const frames = Math.round((await stat(wal)).size / 4120);
      // Measured: ~1,400 frames with the rewinds, ~12,300 without.
      assert.ok(frames < 3_000, `the WAL file grew to ${frames} frames`);
      assert.equal((await store.messagesAfter(conv, 0, 10_000)).length, 8000);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("rejects a batch whose connection broke, then replaces the worker and goes on", () =>
    withSqlite(async (store) => {
      const { alice, conv } = await pair(store);
      await send(store, conv, alice, "before");
      store.injectFault("closeDb");
      const lost = await Promise.allSettled(
        range(1, 20).map((i) => send(store, conv, alice, `x${i}`)),
      );
      for (const r of lost) {
        assert.equal(r.status, "rejected");
        assert.ok(r.status === "rejected" && r.reason instanceof StoreUnavailableError);
      }
      const next = await eventually(() => send(store, conv, alice, "after"));
      assert.equal(next.message.seq, 2, "nothing of the failed batch was stored");
      assert.deepEqual(
        (await store.messagesAfter(conv, 0, 100)).map((m) => m.cid),
        ["before", "after"],
      );
    }));

  it("rejects in-flight requests when the worker dies mid-transaction, and rolls them back", () =>
    withSqlite(async (store) => {
      const { alice, bob, conv } = await pair(store);
      const kept = await Promise.all(range(1, 5).map((i) => send(store, conv, alice, `k${i}`)));
      store.injectFault("crashBeforeCommit");
      const lost = await Promise.allSettled([
        ...range(1, 30).map((i) => send(store, conv, bob, `lost${i}`)),
        store.moveCursors([
          { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id, delivered: 5 },
        ]),
      ]);
      for (const r of lost) {
        assert.ok(r.status === "rejected" && r.reason instanceof StoreUnavailableError);
      }
      // A fresh worker answers; what resolved before the crash is there, the rest is not.
      const next = await eventually(() => send(store, conv, bob, "after"));
      assert.equal(next.message.seq, 6);
      assert.deepEqual(seqs(await store.messagesAfter(conv, 0, 100)), range(1, 6));
      assert.deepEqual(
        (await store.messagesAfter(conv, 0, 5)).map((m) => m.id),
        kept.map((k) => k.message.id),
      );
      assert.equal((await store.conversationsOf(bob.user.id))[0]?.delivered, 0);
      // A retry of a lost message is not a duplicate: it was never stored.
      assert.equal((await send(store, conv, bob, "lost1")).duplicate, false);
    }));

  it("stamps a group's cursors_at once per batch, however many of its members advance", () =>
    withSqlite(async (store, dataDir) => {
      const { people, rest, group, ack } = await groupOfThirty(store);
      const { alice, bob, conv: direct } = await pair(store);
      await send(store, direct, alice, "hi");
      // Every write of the column, logged by a trigger through a second connection.
      const db = new DatabaseSync(join(dataDir, "courier.db"));
      try {
        db.exec(`
          PRAGMA busy_timeout = 5000;
          CREATE TABLE stamps (conversation_id TEXT NOT NULL, at INTEGER NOT NULL);
          CREATE TRIGGER log_stamps AFTER UPDATE OF cursors_at ON conversations BEGIN
            INSERT INTO stamps VALUES (new.id, new.cursors_at);
          END;
        `);
        const stamps = () =>
          db.prepare("SELECT conversation_id, at FROM stamps ORDER BY rowid").all() as {
            conversation_id: string;
            at: number;
          }[];
        const cursorsAt = (id: string) =>
          (
            db.prepare("SELECT cursors_at FROM conversations WHERE id = ?").get(id) as {
              cursors_at: number;
            }
          ).cursors_at;

        // One call: every member advances, some twice; a direct conversation moves beside them.
        const before = Date.now();
        await store.moveCursors([
          ...people.map((p) => ack(p, 1)),
          ...people.slice(0, 5).map((p) => ack(p, 1, 1)),
          { conversationId: direct, userId: bob.user.id, deviceId: bob.device.id, delivered: 1 },
        ]);
        const one = stamps();
        assert.deepEqual(
          one.map((r) => r.conversation_id),
          [group.id],
          "one write, and none for the direct conversation",
        );
        assert.ok(one[0]!.at >= before && one[0]!.at <= Date.now());
        assert.equal(cursorsAt(direct), 0);

        // Repeated acks advance nothing: no write.
        await store.moveCursors(people.map((p) => ack(p, 1)));
        assert.equal(stamps().length, 1);

        // Many calls at once share batches: one write per batch, not per call or per move.
        await sleep(3);
        const stats = store.batchStats();
        await Promise.all(rest.map((p) => store.moveCursors([ack(p, 1, 1)])));
        const batches = store.batchStats().batches - stats.batches;
        assert.ok(batches < rest.length, `${rest.length} calls took ${batches} batches`);
        assert.equal(stamps().length, 1 + batches);
        assert.ok(cursorsAt(group.id) > one[0]!.at);
      } finally {
        db.close();
      }
    }));

  it("upgrades a version-3 database: groups keep their last member change as cursors_at", async () => {
    const dataDir = await tempDir();
    try {
      await upgradeFrom(dataDir, 3, version3Rows, assertUpgradedReceipts);
      const after = new DatabaseSync(join(dataDir, "courier.db"), { readOnly: true });
      try {
        const cursorsAt = after
          .prepare("SELECT id, cursors_at FROM conversations ORDER BY id")
          .all()
          .map((r) => [r.id, r.cursors_at]);
        assert.deepEqual(cursorsAt, [
          ["d:u1:u2", 0],
          ["g:1", 2000],
        ]);
        const index = after
          .prepare("SELECT 1 FROM sqlite_master WHERE name = 'members_by_conversation_updated'")
          .get();
        assert.equal(index, undefined);
      } finally {
        after.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("upgrades a version-5 database: the log is rebuilt with the idempotency key led by cid", async () => {
    const dataDir = await tempDir();
    try {
      await upgradeFrom(dataDir, 5, version5Rows, assertUpgradedCidKey);
      const after = new DatabaseSync(join(dataDir, "courier.db"), { readOnly: true });
      try {
        const unique = (
          after.prepare("PRAGMA index_list(messages)").all() as {
            name: string;
            unique: number;
            origin: string;
          }[]
        ).filter((i) => i.unique === 1 && i.origin === "u");
        assert.equal(unique.length, 1);
        const columns = after
          .prepare(`PRAGMA index_info(${JSON.stringify(unique[0]?.name)})`)
          .all()
          .map((c) => c.name);
        assert.deepEqual(columns, ["cid", "sender_id"]);
        // Arrival order (the rowids) survives the rebuild.
        const order = after
          .prepare("SELECT rowid, id FROM messages ORDER BY rowid")
          .all()
          .map((r) => [r.rowid, r.id]);
        assert.deepEqual(order.slice(0, 2), [
          [1, "m1"],
          [2, "m2"],
        ]);
      } finally {
        after.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("fails to open, without hanging, when the database cannot be created", async () => {
    const dataDir = await tempDir();
    try {
      await mkdir(join(dataDir, "courier.db")); // a directory where the file should be
      await assert.rejects(SqliteStore.open({ dataDir }));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a database written by a newer release", async () => {
    const dataDir = await tempDir();
    try {
      await (await SqliteStore.open({ dataDir })).close();
      const db = new DatabaseSync(join(dataDir, "courier.db"));
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)").run();
      db.close();
      await assert.rejects(SqliteStore.open({ dataDir }), /newer than this release/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("rejects calls after close with StoreUnavailableError", async () => {
    const dataDir = await tempDir();
    const store = await SqliteStore.open({ dataDir });
    const pending = store.createUser({ username: "late", displayName: "L", passwordHash: "h" });
    await store.close();
    assert.equal((await pending).username, "late", "calls made before close are answered");
    await assert.rejects(store.userByName("late"), StoreUnavailableError);
    await assert.rejects(
      store.createUser({ username: "later", displayName: "L", passwordHash: "h" }),
      StoreUnavailableError,
    );
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });
});
