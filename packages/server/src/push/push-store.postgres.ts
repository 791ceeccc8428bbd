import type { PrivacyLevel } from "@courier/protocol";
import pg from "pg";
import {
  type SubscriptionRow,
  subscriptionParams,
  toSubscription,
  VAPID_KEY,
} from "./push-store.rows.ts";
import type { PushMute, PushStore, PushSubscriptionRecord, VapidKeys } from "./push-store.ts";

export interface PostgresPushStoreOptions {
  url: string;
  /** Schema holding the push tables (created if missing); tests use a fresh one per run. */
  schema?: string;
}

/** The same tables as push-store.sqlite.ts; text keys COLLATE "C" so both sort ids alike. */
const schemaSql = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.push_subscriptions (
  device_id  text COLLATE "C" PRIMARY KEY,
  user_id    text COLLATE "C" NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('web', 'expo')),
  address    text NOT NULL UNIQUE,
  p256dh     text,
  auth       text,
  created_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS push_subscriptions_user ON ${s}.push_subscriptions (user_id);
CREATE TABLE IF NOT EXISTS ${s}.push_settings (
  user_id text COLLATE "C" PRIMARY KEY,
  privacy text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.push_mutes (
  conversation_id text COLLATE "C" NOT NULL,
  user_id         text COLLATE "C" NOT NULL,
  until           bigint,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX IF NOT EXISTS push_mutes_user ON ${s}.push_mutes (user_id);
CREATE TABLE IF NOT EXISTS ${s}.push_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
`;

/**
 * The cluster push store: a few small tables in the cluster's PostgreSQL database, shared by every
 * node (so a subscription made through one node is used by all, and all sign with one VAPID key).
 * Its own small pool: push lookups never queue behind the message store's group commits.
 */
export class PostgresPushStore implements PushStore {
  readonly #pool: pg.Pool;
  readonly #s: string;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#s = schema;
  }

  static async open(options: PostgresPushStoreOptions): Promise<PostgresPushStore> {
    const schema = quoteIdent(options.schema ?? "public");
    const pool = new pg.Pool({ connectionString: options.url, max: 4 });
    // An idle client's error (the server restarted) must not crash the process; the next query
    // gets a fresh connection.
    pool.on("error", () => {});
    const client = await pool.connect();
    try {
      // Nodes starting together would race on CREATE ... IF NOT EXISTS; a lock serialises them.
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext('courier_push_schema'))");
      await client.query(schemaSql(schema));
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
      await pool.end();
      throw err;
    }
    client.release();
    return new PostgresPushStore(pool, schema);
  }

  async putSubscription(s: PushSubscriptionRecord): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `DELETE FROM ${this.#s}.push_subscriptions WHERE address = $1 AND device_id <> $2`,
        [s.address, s.deviceId],
      );
      await client.query(
        `INSERT INTO ${this.#s}.push_subscriptions
           (device_id, user_id, kind, address, p256dh, auth, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id, kind = excluded.kind,
           address = excluded.address, p256dh = excluded.p256dh, auth = excluded.auth,
           created_at = excluded.created_at`,
        [...subscriptionParams(s)],
      );
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async removeSubscription(deviceId: string): Promise<boolean> {
    return this.#changed(`DELETE FROM ${this.#s}.push_subscriptions WHERE device_id = $1`, [
      deviceId,
    ]);
  }

  async removeAddress(address: string): Promise<boolean> {
    return this.#changed(`DELETE FROM ${this.#s}.push_subscriptions WHERE address = $1`, [address]);
  }

  async subscriptionOf(deviceId: string): Promise<PushSubscriptionRecord | undefined> {
    const { rows } = await this.#pool.query<SubscriptionRow>(
      `SELECT * FROM ${this.#s}.push_subscriptions WHERE device_id = $1`,
      [deviceId],
    );
    return rows[0] && toSubscription(rows[0]);
  }

  async subscriptionsOf(userIds: readonly string[]): Promise<PushSubscriptionRecord[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.#pool.query<SubscriptionRow>(
      `SELECT * FROM ${this.#s}.push_subscriptions WHERE user_id = ANY($1::text[])
       ORDER BY user_id, device_id`,
      [userIds],
    );
    return rows.map(toSubscription);
  }

  async privacyOf(userIds: readonly string[]): Promise<Map<string, PrivacyLevel>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await this.#pool.query<{ user_id: string; privacy: PrivacyLevel }>(
      `SELECT user_id, privacy FROM ${this.#s}.push_settings WHERE user_id = ANY($1::text[])`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.privacy]));
  }

  async setPrivacy(userId: string, level: PrivacyLevel): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#s}.push_settings (user_id, privacy) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET privacy = excluded.privacy`,
      [userId, level],
    );
  }

  async mute(userId: string, conversationId: string, until: number | null): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#s}.push_mutes (conversation_id, user_id, until) VALUES ($1, $2, $3)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET until = excluded.until`,
      [conversationId, userId, until],
    );
  }

  async unmute(userId: string, conversationId: string): Promise<boolean> {
    return this.#changed(
      `DELETE FROM ${this.#s}.push_mutes WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
  }

  async mutedAmong(
    conversationId: string,
    userIds: readonly string[],
    now: number,
  ): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const { rows } = await this.#pool.query<{ user_id: string }>(
      `SELECT user_id FROM ${this.#s}.push_mutes WHERE conversation_id = $1
         AND user_id = ANY($2::text[]) AND (until IS NULL OR until > $3)`,
      [conversationId, userIds, now],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  async mutesOf(userId: string, now: number): Promise<PushMute[]> {
    const { rows } = await this.#pool.query<{ conversation_id: string; until: string | null }>(
      `SELECT conversation_id, until FROM ${this.#s}.push_mutes
       WHERE user_id = $1 AND (until IS NULL OR until > $2) ORDER BY conversation_id`,
      [userId, now],
    );
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      until: r.until === null ? null : Number(r.until),
    }));
  }

  async vapidKeys(candidate: VapidKeys): Promise<VapidKeys> {
    // Insert-if-absent then read: every node ends up with the first node's pair.
    await this.#pool.query(
      `INSERT INTO ${this.#s}.push_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
      [VAPID_KEY, JSON.stringify(candidate)],
    );
    const { rows } = await this.#pool.query<{ value: string }>(
      `SELECT value FROM ${this.#s}.push_meta WHERE key = $1`,
      [VAPID_KEY],
    );
    return JSON.parse(rows[0]?.value ?? "null") as VapidKeys;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #changed(sql: string, params: unknown[]): Promise<boolean> {
    const result = await this.#pool.query(sql, params);
    return (result.rowCount ?? 0) > 0;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
