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
      const move = { conversationId: conv, userId: bob.user.id, deviceId: bob.device.id };
      const order: string[] = [];
      const chunks = range(1, 12).map((i) =>
        store.moveCursors(range(1, 1000).map(() => ({ ...move, delivered: 1 }))).then(() => {
          order.push(`moves${i}`);
        }),
      );
      const append = send(store, conv, alice, "second").then(() => {
        order.push("append");
      });
      await Promise.all([...chunks, append]);
      assert.ok(
        order.indexOf("append") < order.indexOf("moves12"),
        `answered in the order ${order.join(", ")}`,
      );
      const last = await store.messagesAfter(conv, 0, 10);
      assert.deepEqual(seqs(last), [1, 2]);
    }));

  it("moves the WAL into the database file in the background, not on the writer", async () => {
    const dataDir = await tempDir();
    const store = await SqliteStore.open({ dataDir, checkpointIntervalMs: 50 });
    try {
      const file = join(dataDir, "courier.db");
      await sleep(200); // whatever migration left in the WAL is copied now
      const before = (await stat(file)).size;
      const { alice, conv } = await pair(store);
      await Promise.all(
        range(1, 300).map((i) => send(store, conv, alice, `c${i}`, "x".repeat(500))),
      );
      // Far below the writer's autocheckpoint (10,000 pages): only the checkpointer copies this.
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
