import type { Content } from "@courier/protocol";

/**
 * The store seam: everything Courier keeps durably. `store.sqlite.ts` (embedded, the default) and
 * `store.postgres.ts` (cluster) implement it and pass the one contract suite in
 * `test/store.contract.ts`. Code above the store talks only to this interface.
 *
 * Contract, for every implementation:
 * - A returned promise resolves only after the write is durable (committed and synced), so the
 *   caller may ack it. Implementations batch: calls made close together (the same tick, or while a
 *   commit is in flight) commit in one transaction ("group commit"). A failure of one call in a
 *   batch never loses or half-applies another call of the same batch.
 * - `appendMessage` is idempotent on (sender user, cid): the second call returns the first call's
 *   message with `duplicate: true` and writes nothing, even after the message was pruned in relay mode.
 * - Per conversation, `seq` starts at 1 and increases by exactly 1 per stored message, with no gaps,
 *   in commit order. Messages of one sender in one conversation get seqs in call order.
 * - Cursors only move forward: a move to a lower seq than stored is a no-op.
 * - Times are milliseconds since the epoch, taken from the server clock.
 * - Errors: a broken backend rejects with `StoreUnavailableError`; a taken username with
 *   `StoreConflictError`. Nothing else is thrown for valid input.
 */
export interface Store {
  // --- accounts and devices ---
  /** Rejects with StoreConflictError if the username is taken. */
  createUser(user: NewUser): Promise<StoredUser>;
  userById(id: string): Promise<StoredUser | undefined>;
  userByName(username: string): Promise<StoredUser | undefined>;
  /** Users whose username starts with `prefix`, alphabetical, at most `limit`. */
  searchUsers(prefix: string, limit: number): Promise<StoredUser[]>;
  setDisplayName(userId: string, displayName: string): Promise<void>;

  createDevice(device: NewDevice): Promise<StoredDevice>;
  /** The active (not revoked) device whose token hashes to `tokenHash`. */
  deviceByTokenHash(tokenHash: string): Promise<StoredDevice | undefined>;
  /** Active devices of the user, oldest first. */
  devicesOf(userId: string): Promise<StoredDevice[]>;
  /** Revokes the device if it belongs to the user and is active; returns whether it did. */
  revokeDevice(userId: string, deviceId: string): Promise<boolean>;
  /** Records that the device was active at `at` (connect, disconnect). */
  touchDevice(deviceId: string, at: number): Promise<void>;

  // --- conversations ---
  /** Creates the direct conversation between two users if it does not exist. Idempotent. */
  ensureDirectConversation(conversationId: string, userA: string, userB: string): Promise<void>;
  /** The conversation's member user ids, or undefined if no such conversation. */
  membersOf(conversationId: string): Promise<string[] | undefined>;
  /** Every conversation of the user with its summary data, newest activity first. */
  conversationsOf(userId: string): Promise<ConversationRow[]>;
  /** Ids of the users who share a direct conversation with the user (presence goes to them). */
  contactsOf(userId: string): Promise<string[]>;

  // --- messages ---
  /** Stores a message, assigning id, seq and ts; see the contract above. The conversation must exist. */
  appendMessage(message: NewMessage): Promise<AppendResult>;
  /** Messages with seq > afterSeq, ascending, at most `limit`. */
  messagesAfter(conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  /** Messages with seq < beforeSeq, ascending (the newest `limit` of them). */
  messagesBefore(
    conversationId: string,
    beforeSeq: number,
    limit: number,
  ): Promise<StoredMessage[]>;

  // --- cursors and receipts ---
  /**
   * Moves device cursors forward (batched like writes). The member cursor of (conversation, user)
   * is the max over that user's devices. Returns the member cursors that advanced, so that the
   * caller can send receipts exactly for those.
   */
  moveCursors(moves: CursorMove[]): Promise<MemberCursor[]>;
  /** Conversations of the user in which this device's delivered cursor is below the last seq. */
  pendingFor(userId: string, deviceId: string): Promise<PendingConversation[]>;
  /** Other members' cursors in the user's conversations that changed at or after `since`. */
  receiptsSince(userId: string, since: number): Promise<MemberCursor[]>;

  // --- retention ---
  /**
   * Relay mode: deletes the messages of the conversation that every active device of every member
   * (other than the message's sending device) has acked. Returns how many were deleted.
   */
  pruneDelivered(conversationId: string): Promise<number>;

  close(): Promise<void>;
}

export interface NewUser {
  username: string;
  displayName: string;
  passwordHash: string;
}

export interface StoredUser {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: number;
}

export interface NewDevice {
  userId: string;
  name: string;
  tokenHash: string;
}

export interface StoredDevice {
  id: string;
  userId: string;
  name: string;
  createdAt: number;
  lastActiveAt: number;
}

export interface NewMessage {
  conversationId: string;
  senderId: string;
  senderDeviceId: string;
  cid: string;
  content: Content;
}

export interface StoredMessage {
  conversationId: string;
  id: string;
  seq: number;
  senderId: string;
  senderDeviceId: string;
  cid: string;
  ts: number;
  content: Content;
}

export interface AppendResult {
  message: StoredMessage;
  /** True when (sender, cid) was already stored: nothing new was written. */
  duplicate: boolean;
}

export interface CursorMove {
  conversationId: string;
  userId: string;
  deviceId: string;
  delivered?: number;
  read?: number;
}

export interface MemberCursor {
  conversationId: string;
  userId: string;
  delivered: number;
  read: number;
}

export interface PendingConversation {
  conversationId: string;
  /** This device's delivered cursor (0 if it never acked). */
  delivered: number;
  lastSeq: number;
}

export interface ConversationRow {
  id: string;
  kind: "direct";
  members: string[];
  lastSeq: number;
  lastMessage: StoredMessage | null;
  /** The user's own member cursors. */
  delivered: number;
  read: number;
  /** Messages from other members with seq above the user's read cursor. */
  unread: number;
  /** Cursors of the other members. */
  others: MemberCursor[];
}

export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

export class StoreConflictError extends Error {
  override name = "StoreConflictError";
}
