import type { Content } from "@courier/protocol";
import type { StoredDevice, StoredMessage, StoredUser } from "./store.ts";

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

/** `content` is the JSON text of a protocol `Content` in both stores. */
export interface MessageRow {
  conversation_id: string;
  seq: number;
  id: string;
  sender_id: string;
  sender_device_id: string;
  cid: string;
  ts: number;
  content: string;
}

export function toMessage(row: MessageRow): StoredMessage {
  return {
    conversationId: row.conversation_id,
    id: row.id,
    seq: row.seq,
    senderId: row.sender_id,
    senderDeviceId: row.sender_device_id,
    cid: row.cid,
    ts: row.ts,
    content: JSON.parse(row.content) as Content,
  };
}
