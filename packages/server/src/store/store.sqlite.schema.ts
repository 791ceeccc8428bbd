import type { DatabaseSync } from "node:sqlite";

/**
 * The store's schema as an ordered list of migrations. `store.postgres.ts` mirrors it table for
 * table (same names, columns and keys) so that both stores answer the contract the same way.
 *
 * Dialect notes for the mirror:
 * - Times are INTEGER milliseconds since the epoch (BIGINT in PostgreSQL).
 * - `messages.content` is the JSON text of a protocol `Content` (jsonb is fine in PostgreSQL).
 * - Username order is byte order (SQLite BINARY); PostgreSQL needs `COLLATE "C"` to match.
 * - WITHOUT ROWID is SQLite-only: the small key-only tables keep their rows in the primary-key
 *   b-tree, saving SQLite a second b-tree; PostgreSQL needs no equivalent.
 *
 * A migration is never edited once released; a change is a new entry with the next version.
 */
export interface Migration {
  version: number;
  /** Why this migration exists. */
  note: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    note: "accounts, devices, conversations, members, cursors, the message log and relay dedupe keys",
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE,
        display_name  TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
      );

      -- A device is one login of a user; its bearer token is stored only as a hash.
      -- Revoked devices stay (revoked_at set) so their past cursors keep counting for receipts.
      CREATE TABLE devices (
        id             TEXT PRIMARY KEY,
        user_id        TEXT NOT NULL REFERENCES users(id),
        name           TEXT NOT NULL,
        token_hash     TEXT NOT NULL UNIQUE,
        created_at     INTEGER NOT NULL,
        last_active_at INTEGER NOT NULL,
        revoked_at     INTEGER
      );
      CREATE INDEX devices_by_user ON devices(user_id, created_at);

      -- last_seq/last_ts summarise the log so that sync and the conversation list never scan it.
      CREATE TABLE conversations (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
        created_at INTEGER NOT NULL,
        last_seq   INTEGER NOT NULL DEFAULT 0,
        last_ts    INTEGER
      );

      -- Member cursors are the max over the member's devices' cursors; updated_at marks when
      -- they last advanced (receiptsSince). joined_seq is for groups: history starts after it.
      CREATE TABLE members (
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        user_id         TEXT NOT NULL REFERENCES users(id),
        joined_seq      INTEGER NOT NULL DEFAULT 0,
        delivered_seq   INTEGER NOT NULL DEFAULT 0,
        read_seq        INTEGER NOT NULL DEFAULT 0,
        updated_at      INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      ) WITHOUT ROWID;
      CREATE INDEX members_by_user ON members(user_id);

      CREATE TABLE device_cursors (
        device_id       TEXT NOT NULL REFERENCES devices(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        delivered_seq   INTEGER NOT NULL DEFAULT 0,
        read_seq        INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device_id, conversation_id)
      ) WITHOUT ROWID;

      -- The log: one row per message, found by (conversation, seq); (sender_id, cid) is the
      -- idempotency key of appendMessage. A rowid table on purpose (not WITHOUT ROWID): rows
      -- are appended in arrival order and only the two small index entries land on each
      -- conversation's and sender's pages. Measured with 1,000 active conversations of 200
      -- messages each, 2,000-row commits: 11 KB written and 33 us CPU per append, against 19 KB
      -- and 44 us when the rows are clustered by conversation (whose tail pages split half
      -- full); reading 50 messages costs 130 us instead of 83 us. Writes are the hot path.
      -- This is also the layout PostgreSQL has: a heap plus the primary-key index.
      CREATE TABLE messages (
        conversation_id  TEXT NOT NULL REFERENCES conversations(id),
        seq              INTEGER NOT NULL,
        id               TEXT NOT NULL,
        sender_id        TEXT NOT NULL,
        sender_device_id TEXT NOT NULL,
        cid              TEXT NOT NULL,
        ts               INTEGER NOT NULL,
        content          TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq),
        UNIQUE (sender_id, cid)
      );

      -- Relay mode deletes delivered messages; their idempotency keys move here so that a late
      -- retry of the same (sender, cid) is still answered as a duplicate.
      CREATE TABLE sent_cids (
        sender_id       TEXT NOT NULL,
        cid             TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        id              TEXT NOT NULL,
        ts              INTEGER NOT NULL,
        PRIMARY KEY (sender_id, cid)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    note: "groups: a name and member count per conversation, member roles, cursor times for message info",
    sql: `
      ALTER TABLE conversations ADD COLUMN name TEXT;
      -- Kept by the group operations so that 'is this group large' is one column read.
      ALTER TABLE conversations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 2;
      ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member'));
      -- A member who left or was removed keeps the row with left_seq set: sync still brings
      -- them the log up to that message (their removal), and nothing after it. Every access
      -- check and every list counts current members only (left_seq IS NULL).
      ALTER TABLE members ADD COLUMN left_seq INTEGER;

      -- When a group member's delivered / read cursor reached a seq: message info answers
      -- "when did each member get / read seq S" with the first event at or above S.
      CREATE TABLE cursor_events (
        conversation_id TEXT NOT NULL,
        user_id         TEXT NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('delivered', 'read')),
        seq             INTEGER NOT NULL,
        at              INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, user_id, kind, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    note: "members by (conversation, updated_at): receiptsSince checks a group with one index seek",
    sql: `
      -- receiptsSince asks, per group of a connecting user, whether another member's row changed
      -- since a time: a seek to (conversation_id, updated_at >= since) that stops at the first
      -- other current member, instead of reading every member row of the group (O(N^2) when a
      -- big group comes online). The entries carry the key (user_id) too.
      CREATE INDEX members_by_conversation_updated ON members(conversation_id, updated_at);
    `,
  },
  {
    version: 4,
    note: "conversations.cursors_at replaces members_by_conversation_updated: one write per group per cursor batch",
    sql: `
      -- When a member cursor of the group last advanced: moveCursors sets it to the batch's time
      -- once per group per batch, and receiptsSince reads it through the conversations primary
      -- key. The index of migration 3 answered the same question, but every cursor move updates
      -- members.updated_at and so moved an index entry: a 20,000-member group acking one
      -- message moved 19,000 of them. Direct conversations keep 0 (receiptsSince reads their
      -- member rows).
      ALTER TABLE conversations ADD COLUMN cursors_at INTEGER NOT NULL DEFAULT 0;
      -- Upgraded databases: the newest member row change of each group, found with the index
      -- before it goes (a join counts too: a superset, which receiptsSince allows).
      UPDATE conversations SET cursors_at = coalesce(
        (SELECT max(updated_at) FROM members WHERE conversation_id = conversations.id), 0)
      WHERE kind = 'group';
      DROP INDEX members_by_conversation_updated;
    `,
  },
  {
    version: 5,
    note: "sent_cids by ts: relay mode forgets old idempotency keys, oldest first",
    sql: `
      -- Relay mode keeps a pruned message's (sender, cid, conversation, seq, id, ts) so that a
      -- late retry is still a duplicate; past COURIER_DEDUPE_DAYS it is deleted, oldest first,
      -- so that the metadata of delivered messages does not stay forever. Keys are stamped with
      -- their message's time, which grows: the index is appended to.
      CREATE INDEX sent_cids_by_ts ON sent_cids(ts);
    `,
  },
  {
    version: 6,
    note: "messages keyed (cid, sender_id) for idempotency: time-ordered client ids append to the index",
    sql: `
      -- The idempotency key's index led with sender_id, so each append wrote a leaf page of its
      -- sender's range: one more scattered page per message in every commit. Client ids are
      -- time-ordered now (the SDK's timeOrderedId), so an index that leads with cid takes every
      -- new key at its right edge. Measured with the store bench (1,000 conversations, commits
      -- of 250 appends, two runs each): random-UUID cids under the old key 19.2 - 23.0 us of
      -- writer CPU per append (30,000 - 36,000 appends/s); time-ordered cids under this one
      -- 13.1 - 14.3 us (43,000 - 48,000 appends/s). Lookups by (sender_id, cid) use it as well.
      -- SQLite cannot change a table's UNIQUE constraint in place: the table is rebuilt, rowids
      -- (arrival order) kept. On a large database this copy makes the first start slower, once.
      CREATE TABLE messages_new (
        conversation_id  TEXT NOT NULL REFERENCES conversations(id),
        seq              INTEGER NOT NULL,
        id               TEXT NOT NULL,
        sender_id        TEXT NOT NULL,
        sender_device_id TEXT NOT NULL,
        cid              TEXT NOT NULL,
        ts               INTEGER NOT NULL,
        content          TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq),
        UNIQUE (cid, sender_id)
      );
      INSERT INTO messages_new
        (rowid, conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content)
      SELECT rowid, conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content
      FROM messages ORDER BY rowid;
      DROP TABLE messages;
      ALTER TABLE messages_new RENAME TO messages;
    `,
  },
];

/**
 * Applies the migrations the database has not seen yet, each in its own transaction, and
 * records them in `schema_migrations`. Refuses a database from a newer release.
 */
export function migrate(db: DatabaseSync, now: number): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const row = db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this release (${latest})`);
  }
  const record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(m.sql);
      record.run(m.version, now);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }
}
