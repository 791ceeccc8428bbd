import type { StoredDevice, StoredUser } from "./store.ts";

/**
 * Rows of the tables both stores share (one schema, store.sqlite.schema.ts), and their mapping to
 * the store's types: one place, so the two stores cannot drift apart in what they return.
 */
export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}

export interface DeviceRow {
  id: string;
  user_id: string;
  name: string;
  created_at: number;
  last_active_at: number;
}

export function toUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

export function toDevice(row: DeviceRow): StoredDevice {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    createdAt: row.created_at,
    lastActiveAt: row.last_active_at,
  };
}
