import type { PoolClient } from "pg";

/**
 * The PostgreSQL schema, as an append-only list of migrations. It mirrors the SQLite schema in
 * `store.sqlite.ts` table for table and column for column (same names, same meaning), so that
 * data and queries read the same on both backends; only the types are PostgreSQL's (`bigint` for
 * ms timestamps and seqs, `text` for ids and the JSON content).
 *
 * Never edit a migration that has shipped: add a new one at the end.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE users (
    id            text PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    created_at    bigint NOT NULL
  );
  -- searchUsers is a prefix search: text_pattern_ops lets LIKE 'abc%' use the index in any collation.
  CREATE INDEX users_username_prefix ON users (username text_pattern_ops);

  CREATE TABLE devices (
    id             text PRIMARY KEY,
    user_id        text NOT NULL REFERENCES users (id),
    name           text NOT NULL,
    token_hash     text NOT NULL UNIQUE,
    created_at     bigint NOT NULL,
    last_active_at bigint NOT NULL,
    revoked_at     bigint
  );
  CREATE INDEX devices_user ON devices (user_id);

  CREATE TABLE conversations (
    id         text PRIMARY KEY,
    kind       text NOT NULL,
    created_at bigint NOT NULL,
    -- The seq of the newest message; the append transaction row-locks this to serialise seqs
    -- across every node.
    last_seq   bigint NOT NULL DEFAULT 0,
    -- Time of the newest message (or creation): conversation lists sort on it.
    last_ts    bigint NOT NULL
  );

  -- Member cursors: the max over the member's devices, kept here so receipts need no aggregate.
  CREATE TABLE members (
    conversation_id text NOT NULL REFERENCES conversations (id),
    user_id         text NOT NULL REFERENCES users (id),
    delivered       bigint NOT NULL DEFAULT 0,
    read            bigint NOT NULL DEFAULT 0,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX members_user ON members (user_id);

  CREATE TABLE device_cursors (
    conversation_id text NOT NULL,
    device_id       text NOT NULL,
    user_id         text NOT NULL,
    delivered       bigint NOT NULL DEFAULT 0,
    read            bigint NOT NULL DEFAULT 0,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (conversation_id, device_id)
  );

  -- The conversation log. No foreign keys here: this is the hot insert path, and the append
  -- transaction already checks the conversation under its row lock.
  CREATE TABLE messages (
    conversation_id  text NOT NULL,
    seq              bigint NOT NULL,
    id               text NOT NULL,
    sender_id        text NOT NULL,
    sender_device_id text NOT NULL,
    cid              text NOT NULL,
    ts               bigint NOT NULL,
    content          text NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  );

  -- Idempotency of sends, on (sender, client id). Outlives the message row (relay mode prunes
  -- messages), so that a late retry is still recognised and answered with the first result. It
  -- keeps no content: in relay mode the server must forget what was said.
  CREATE TABLE sent_cids (
    sender_id        text NOT NULL,
    cid              text NOT NULL,
    conversation_id  text NOT NULL,
    seq              bigint NOT NULL,
    id               text NOT NULL,
    sender_device_id text NOT NULL,
    ts               bigint NOT NULL,
    PRIMARY KEY (sender_id, cid)
  );
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
