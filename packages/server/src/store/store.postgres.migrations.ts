import type { PoolClient } from "pg";

/**
 * The PostgreSQL schema, as an append-only list of migrations: entry i is version i + 1. It
 * mirrors `store.sqlite.schema.ts` table for table, column for column and key for key, so that
 * both stores answer the contract the same way. Only the types are PostgreSQL's: `bigint` for ms
 * timestamps and seqs, `text COLLATE "C"` for ids, `text` for the JSON content.
 *
 * Never edit a migration that has shipped: add a new one at the end, here and in SQLite.
 */
export const migrations: readonly string[] = [
  // 1: accounts, devices, conversations, members, cursors, the message log and relay dedupe keys.
  // Every text key is COLLATE "C": byte order, as SQLite's BINARY, whatever the database's
  // locale; it is also the cheapest comparison for b-tree keys.
  `
  CREATE TABLE users (
    id            text COLLATE "C" PRIMARY KEY,
    username      text COLLATE "C" NOT NULL UNIQUE,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    created_at    bigint NOT NULL
  );

  -- Revoked devices stay (revoked_at set) so their past cursors keep counting for receipts.
  CREATE TABLE devices (
    id             text COLLATE "C" PRIMARY KEY,
    user_id        text COLLATE "C" NOT NULL REFERENCES users (id),
    name           text NOT NULL,
    token_hash     text COLLATE "C" NOT NULL UNIQUE,
    created_at     bigint NOT NULL,
    last_active_at bigint NOT NULL,
    revoked_at     bigint
  );
  CREATE INDEX devices_by_user ON devices (user_id, created_at);

  -- last_seq is row-locked by every append transaction: that serialises seqs across all nodes.
  CREATE TABLE conversations (
    id         text COLLATE "C" PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('direct', 'group')),
    created_at bigint NOT NULL,
    last_seq   bigint NOT NULL DEFAULT 0,
    last_ts    bigint
  );

  CREATE TABLE members (
    conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id),
    user_id         text COLLATE "C" NOT NULL REFERENCES users (id),
    joined_seq      bigint NOT NULL DEFAULT 0,
    delivered_seq   bigint NOT NULL DEFAULT 0,
    read_seq        bigint NOT NULL DEFAULT 0,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX members_by_user ON members (user_id);

  CREATE TABLE device_cursors (
    device_id       text COLLATE "C" NOT NULL REFERENCES devices (id),
    conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id),
    delivered_seq   bigint NOT NULL DEFAULT 0,
    read_seq        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, conversation_id)
  );

  -- The one difference from SQLite: no foreign key from messages to conversations. In
  -- PostgreSQL a foreign key is a trigger running one lookup per inserted row, on the hottest
  -- path; the append transaction already holds the conversation's row lock and refuses unknown
  -- conversations, so the key could never fire.
  CREATE TABLE messages (
    conversation_id  text COLLATE "C" NOT NULL,
    seq              bigint NOT NULL,
    id               text COLLATE "C" NOT NULL,
    sender_id        text COLLATE "C" NOT NULL,
    sender_device_id text COLLATE "C" NOT NULL,
    cid              text COLLATE "C" NOT NULL,
    ts               bigint NOT NULL,
    content          text NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (sender_id, cid)
  );

  -- Relay mode deletes delivered messages; their idempotency keys move here so that a late
  -- retry of the same (sender, cid) is still answered as a duplicate.
  CREATE TABLE sent_cids (
    sender_id       text COLLATE "C" NOT NULL,
    cid             text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    id              text COLLATE "C" NOT NULL,
    ts              bigint NOT NULL,
    PRIMARY KEY (sender_id, cid)
  );
  `,
  // 2: groups: a name and member count per conversation, member roles, left_seq, and cursor
  // times for message info (SQLite's migration 2, column for column).
  `
  ALTER TABLE conversations ADD COLUMN name text;
  -- Kept by the group operations (under the conversation's row lock) so that "is this group
  -- large" is one column read.
  ALTER TABLE conversations ADD COLUMN member_count integer NOT NULL DEFAULT 2;
  ALTER TABLE members ADD COLUMN role text NOT NULL DEFAULT 'member'
    CHECK (role IN ('admin', 'member'));
  -- A member who left or was removed keeps the row with left_seq set: sync still brings them
  -- the log up to that message (their removal) and nothing after it. Every access check and
  -- every list counts current members only (left_seq IS NULL).
  ALTER TABLE members ADD COLUMN left_seq bigint;

  -- When a group member's delivered / read cursor reached a seq: message info answers "when
  -- did each member get / read seq S" with the first event at or above S.
  CREATE TABLE cursor_events (
    conversation_id text COLLATE "C" NOT NULL,
    user_id         text COLLATE "C" NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('delivered', 'read')),
    seq             bigint NOT NULL,
    at              bigint NOT NULL,
    PRIMARY KEY (conversation_id, user_id, kind, seq)
  );
  `,
  // 3: members by (conversation, updated_at), SQLite's migration 3: receiptsSince checks whether
  // another member's row of a group changed since a time with one index seek that stops at the
  // first other current member, instead of reading every member row of the group (O(N^2) when a
  // big group comes online).
  `
  CREATE INDEX members_by_conversation_updated ON members (conversation_id, updated_at);
  `,
  // 4: conversations.cursors_at replaces members_by_conversation_updated, SQLite's migration 4:
  // when a member cursor of the group last advanced, set once per group per cursor batch and read
  // by receiptsSince through the conversations primary key. The index made every cursor move
  // (each one updates members.updated_at) a non-HOT update that wrote an entry in every members
  // index. Upgraded databases start from the newest member row change of each group (a join
  // counts too: a superset, which receiptsSince allows); direct conversations keep 0.
  `
  ALTER TABLE conversations ADD COLUMN cursors_at bigint NOT NULL DEFAULT 0;
  UPDATE conversations c SET cursors_at = m.at
  FROM (SELECT conversation_id, max(updated_at) AS at FROM members
        WHERE conversation_id >= 'g:' AND conversation_id < 'g;' GROUP BY conversation_id) m
  WHERE c.id = m.conversation_id AND c.kind = 'group';
  DROP INDEX members_by_conversation_updated;
  `,
  // 5: sent_cids by ts, SQLite's migration 5: relay mode forgets idempotency keys older than
  // COURIER_DEDUPE_DAYS, oldest first.
  `
  CREATE INDEX sent_cids_by_ts ON sent_cids (ts);
  `,
  // 6: the idempotency key's unique index leads with cid, SQLite's migration 6: client ids are
  // time-ordered, so new keys land at the index's right edge instead of on their sender's page.
  // Inserts check no conflict target by name (ON CONFLICT DO NOTHING), so the swap is all.
  `
  ALTER TABLE messages DROP CONSTRAINT messages_sender_id_cid_key;
  ALTER TABLE messages ADD CONSTRAINT messages_cid_sender_id_key UNIQUE (cid, sender_id);
  `,
];

/** Any fixed 64-bit number, shared by every node: the advisory lock that serialises migrations. */
const migrationLockKey = 0x436f7572696572n; // "Courier"

/**
 * Brings the schema up to date. Safe to run from several nodes at once: the first to take the
 * advisory lock migrates, the others wait and then find nothing left to do. Each migration and
 * its bookkeeping row commit together, so a crash mid-way leaves a schema that the next start
 * finishes.
 */
export async function migrate(client: PoolClient): Promise<void> {
  await client.query("SELECT pg_advisory_lock($1)", [migrationLockKey.toString()]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    integer PRIMARY KEY,
         applied_at bigint NOT NULL
       )`,
    );
    const { rows } = await client.query<{ version: number }>(
      "SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations",
    );
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) {
      throw new Error(
        `database schema version ${current} is newer than this release (${migrations.length})`,
      );
    }
    for (let version = current + 1; version <= migrations.length; version++) {
      await client.query("BEGIN");
      try {
        await client.query(migrations[version - 1] as string);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
          version,
          Date.now(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [migrationLockKey.toString()]);
  }
}
