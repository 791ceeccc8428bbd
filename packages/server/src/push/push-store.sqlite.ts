import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { PrivacyLevel } from "@courier/protocol";
import {
  type SubscriptionRow,
  subscriptionParams,
  toSubscription,
  VAPID_KEY,
} from "./push-store.rows.ts";
import type { PushMute, PushStore, PushSubscriptionRecord, VapidKeys } from "./push-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS push_subscriptions (
  device_id  TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('web', 'expo')),
  address    TEXT NOT NULL UNIQUE,
  p256dh     TEXT,
  auth       TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS push_subscriptions_user ON push_subscriptions (user_id);
CREATE TABLE IF NOT EXISTS push_settings (
  user_id TEXT PRIMARY KEY,
  privacy TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS push_mutes (
  conversation_id TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  until           INTEGER,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX IF NOT EXISTS push_mutes_user ON push_mutes (user_id);
CREATE TABLE IF NOT EXISTS push_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * The embedded push store: a small SQLite file of its own beside the message store. Writes are a
 * handful a day per user, so plain synchronous statements on the main thread are fine here; the
 * message store keeps its writer thread and its file to itself.
 */
export class SqlitePushStore implements PushStore {
  readonly #db: DatabaseSync;
  // The per-message lookups run often: prepare each statement once.
  readonly #statements = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  static open(options: { dataDir: string }): SqlitePushStore {
    mkdirSync(options.dataDir, { recursive: true });
    const db = new DatabaseSync(path.join(options.dataDir, "push.db"), { timeout: 2000 });
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(SCHEMA);
    return new SqlitePushStore(db);
  }

  async putSubscription(s: PushSubscriptionRecord): Promise<void> {
    this.#transaction(() => {
      // The address moves to this device: drop it from any other device first (UNIQUE).
      this.#run("DELETE FROM push_subscriptions WHERE address = ? AND device_id <> ?", [
        s.address,
        s.deviceId,
      ]);
      this.#run(
        `INSERT INTO push_subscriptions (device_id, user_id, kind, address, p256dh, auth, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id, kind = excluded.kind,
           address = excluded.address, p256dh = excluded.p256dh, auth = excluded.auth,
           created_at = excluded.created_at`,
        subscriptionParams(s),
      );
    });
  }

  async removeSubscription(deviceId: string): Promise<boolean> {
    return this.#run("DELETE FROM push_subscriptions WHERE device_id = ?", [deviceId]) > 0;
  }

  async removeAddress(address: string): Promise<boolean> {
    return this.#run("DELETE FROM push_subscriptions WHERE address = ?", [address]) > 0;
  }

  async subscriptionOf(deviceId: string): Promise<PushSubscriptionRecord | undefined> {
    const row = this.#q("SELECT * FROM push_subscriptions WHERE device_id = ?").get(deviceId) as
      | SubscriptionRow
      | undefined;
    return row && toSubscription(row);
  }

  async subscriptionsOf(userIds: readonly string[]): Promise<PushSubscriptionRecord[]> {
    if (userIds.length === 0) return [];
    const rows = this.#q(
      `SELECT * FROM push_subscriptions WHERE user_id IN (SELECT value FROM json_each(?))
         ORDER BY user_id, device_id`,
    ).all(JSON.stringify(userIds)) as unknown as SubscriptionRow[];
    return rows.map(toSubscription);
  }

  async privacyOf(userIds: readonly string[]): Promise<Map<string, PrivacyLevel>> {
    if (userIds.length === 0) return new Map();
    const rows = this.#q(
      "SELECT user_id, privacy FROM push_settings WHERE user_id IN (SELECT value FROM json_each(?))",
    ).all(JSON.stringify(userIds)) as unknown as Array<{ user_id: string; privacy: PrivacyLevel }>;
    return new Map(rows.map((r) => [r.user_id, r.privacy]));
  }

  async setPrivacy(userId: string, level: PrivacyLevel): Promise<void> {
    this.#run(
      `INSERT INTO push_settings (user_id, privacy) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET privacy = excluded.privacy`,
      [userId, level],
    );
  }

  async mute(userId: string, conversationId: string, until: number | null): Promise<void> {
    this.#run(
      `INSERT INTO push_mutes (conversation_id, user_id, until) VALUES (?, ?, ?)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET until = excluded.until`,
      [conversationId, userId, until],
    );
  }

  async unmute(userId: string, conversationId: string): Promise<boolean> {
    return (
      this.#run("DELETE FROM push_mutes WHERE conversation_id = ? AND user_id = ?", [
        conversationId,
        userId,
      ]) > 0
    );
  }

  async mutedAmong(
    conversationId: string,
    userIds: readonly string[],
    now: number,
  ): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = this.#q(
      `SELECT user_id FROM push_mutes WHERE conversation_id = ?
           AND user_id IN (SELECT value FROM json_each(?)) AND (until IS NULL OR until > ?)`,
    ).all(conversationId, JSON.stringify(userIds), now) as unknown as Array<{ user_id: string }>;
    return new Set(rows.map((r) => r.user_id));
  }

  async mutesOf(userId: string, now: number): Promise<PushMute[]> {
    const rows = this.#q(
      `SELECT conversation_id, until FROM push_mutes
         WHERE user_id = ? AND (until IS NULL OR until > ?) ORDER BY conversation_id`,
    ).all(userId, now) as unknown as Array<{ conversation_id: string; until: number | null }>;
    return rows.map((r) => ({ conversationId: r.conversation_id, until: r.until }));
  }

  async vapidKeys(candidate: VapidKeys): Promise<VapidKeys> {
    this.#run("INSERT INTO push_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", [
      VAPID_KEY,
      JSON.stringify(candidate),
    ]);
    const row = this.#q("SELECT value FROM push_meta WHERE key = ?").get(VAPID_KEY) as {
      value: string;
    };
    return JSON.parse(row.value) as VapidKeys;
  }

  async close(): Promise<void> {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  #q(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, params: readonly SQLInputValue[]): number {
    return Number(this.#q(sql).run(...params).changes);
  }

  #transaction(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }
}
