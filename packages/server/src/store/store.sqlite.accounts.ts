import { newId } from "./ids.ts";
import { type DeviceRow, toDevice, toUser, type UserRow } from "./rows.ts";
import { ConflictError, type Conn } from "./store.sqlite.conn.ts";
import type { WriteCtx } from "./store.sqlite.ctx.ts";
import type { NewDevice, NewUser, StoredDevice, StoredUser } from "./store.ts";

/** Users and devices: the reads run on any connection, the writes in the worker's batch. */

const USER_COLUMNS = "id, username, display_name, password_hash, created_at";
const DEVICE_COLUMNS = "id, user_id, name, created_at, last_active_at";

// --- reads ---

export function userById(c: Conn, id: string): StoredUser | undefined {
  const row = c.q(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id);
  return row === undefined ? undefined : toUser(row as unknown as UserRow);
}

export function userByName(c: Conn, username: string): StoredUser | undefined {
  const row = c.q(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`).get(username);
  return row === undefined ? undefined : toUser(row as unknown as UserRow);
}

/**
 * Prefix search as a range on the username index: [prefix, prefix + U+10FFFF). U+10FFFF is the
 * highest code point, so every longer name that starts with the prefix sorts inside the range.
 */
export function searchUsers(c: Conn, prefix: string, limit: number): StoredUser[] {
  const rows = c
    .q(
      `SELECT ${USER_COLUMNS} FROM users WHERE username >= ? AND username < ? ORDER BY username LIMIT ?`,
    )
    .all(prefix, `${prefix}\u{10FFFF}`, Math.max(0, limit));
  return (rows as unknown as UserRow[]).map(toUser);
}

export function deviceByTokenHash(c: Conn, tokenHash: string): StoredDevice | undefined {
  const row = c
    .q(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE token_hash = ? AND revoked_at IS NULL`)
    .get(tokenHash);
  return row === undefined ? undefined : toDevice(row as unknown as DeviceRow);
}

export function devicesOf(c: Conn, userId: string): StoredDevice[] {
  const rows = c
    .q(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, id`,
    )
    .all(userId);
  return (rows as unknown as DeviceRow[]).map(toDevice);
}

// --- writes ---

export function createUser(w: WriteCtx, user: NewUser): StoredUser {
  // The worker is the only writer and this runs inside its transaction, so check-then-insert
  // cannot race; it gives a clean conflict instead of parsing a constraint message.
  if (userByName(w.conn, user.username) !== undefined) {
    throw new ConflictError(`username ${user.username} is taken`);
  }
  const stored: StoredUser = {
    id: newId(),
    username: user.username,
    displayName: user.displayName,
    passwordHash: user.passwordHash,
    createdAt: w.now,
  };
  w.conn
    .q(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?)`)
    .run(stored.id, stored.username, stored.displayName, stored.passwordHash, stored.createdAt);
  return stored;
}

export function setDisplayName(w: WriteCtx, userId: string, displayName: string): void {
  w.conn.q("UPDATE users SET display_name = ? WHERE id = ?").run(displayName, userId);
}

export function createDevice(w: WriteCtx, device: NewDevice): StoredDevice {
  const stored: StoredDevice = {
    id: newId(),
    userId: device.userId,
    name: device.name,
    createdAt: w.now,
    lastActiveAt: w.now,
  };
  w.conn
    .q(
      "INSERT INTO devices (id, user_id, name, token_hash, created_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .run(stored.id, stored.userId, stored.name, device.tokenHash, w.now, w.now);
  return stored;
}

export function revokeDevice(w: WriteCtx, userId: string, deviceId: string): boolean {
  const result = w.conn
    .q("UPDATE devices SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
    .run(w.now, deviceId, userId);
  return Number(result.changes) > 0;
}

export function touchDevice(w: WriteCtx, deviceId: string, at: number): void {
  w.conn.q("UPDATE devices SET last_active_at = ? WHERE id = ?").run(at, deviceId);
}
