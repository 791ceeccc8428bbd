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
 *   `StoreConflictError`; a group change against the rules with `StoreRejectedError`. Nothing
 *   else is thrown for valid input.
 * - Device cursors never pass the conversation's last seq (a move beyond it is clamped), so a
 *   client cannot mark messages delivered before they exist.
 */
export interface Store extends GroupStore {
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
  /**
   * What changed at or after `since` in the user's current conversations, for catch-up on
   * connect: the other member's cursors in direct conversations, and only the ids of the groups
   * in which some member's cursor advanced; never those rows, so a group costs one index seek,
   * whatever its size. A group where only the user's own cursor moved is listed too (the store
   * keeps one time per group, not per member): the caller sends the group's current aggregate,
   * which is then merely unchanged.
   */
  receiptsSince(userId: string, since: number): Promise<MissedReceipts>;

  // --- retention ---
  /**
   * Relay mode: deletes the messages of the conversation that every active device of every member
   * (other than the message's sending device) has acked. Returns how many were deleted.
   */
  pruneDelivered(conversationId: string): Promise<number>;
  /**
   * Relay mode: forgets up to `limit` idempotency keys of pruned messages that were stored
   * before `before` (ms since the epoch), oldest first; returns how many. A retry of such a
   * message is then stored as a new one, so `before` must lie beyond any client's retries.
   */
  expireSentCids(before: number, limit: number): Promise<number>;

  /**
   * Resolves if the store can serve requests now (a cheap round trip to the backend: the SQLite
   * writer thread, a PostgreSQL connection); rejects with StoreUnavailableError otherwise. For
   * `/healthz`: writes nothing.
   */
  health(): Promise<void>;

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

/** See `Store.lowestCursors`: per kind, at most two members, lowest first. */
export interface LowestCursors {
  delivered: Array<{ userId: string; seq: number }>;
  read: Array<{ userId: string; seq: number }>;
}

export interface MissedReceipts {
  /** Direct conversations: the other member's cursors, by conversation id. */
  direct: MemberCursor[];
  /** Ids of the user's current groups (ascending) in which a member cursor advanced. */
  groups: string[];
}

export interface PendingConversation {
  conversationId: string;
  /**
   * This device's delivered cursor (0 if it never acked), raised to joined_seq - 1 for a group
   * member, who sees nothing from before they joined.
   */
  delivered: number;
  lastSeq: number;
}

export interface ConversationRow {
  id: string;
  kind: "direct" | "group";
  /** The group's name; null for direct conversations. */
  name: string | null;
  /** Direct: both members. Groups: empty (a group's list can be long; see memberCount). */
  members: string[];
  memberCount: number;
  lastSeq: number;
  lastMessage: StoredMessage | null;
  /** The user's own member cursors. */
  delivered: number;
  read: number;
  /** Messages from other members with seq above the user's read cursor (and joined seq). */
  unread: number;
  /** Direct: the other member's cursors. Groups: empty. */
  others: MemberCursor[];
  /** The lowest delivered and read cursors among the other members (0 if there are none). */
  othersDelivered: number;
  othersRead: number;
}

/** Group operations of the store seam (the same contract rules as `Store`). */
export interface GroupStore {
  // --- groups ---
  /**
   * Creates a group: the creator as its admin, `members` as members (all with joined_seq 1), and
   * its `created` system message as seq 1, in one transaction. Rejects with StoreRejectedError:
   * `no_such_user` if a member id is unknown, `limit_reached` above `maxMembers`.
   */
  createGroup(group: NewGroup): Promise<GroupChangeResult>;
  /**
   * Applies one change to a group and appends the system message that tells it, in one
   * transaction: the permission checks run inside it, so racing admins cannot break the rules.
   * - `add` (admins): new members join with joined_seq = the system message's seq; ids already
   *   members are skipped; `conflict` if nobody is new; `no_such_user`; `limit_reached`.
   * - `remove` (admins): `not_member` if the target is not in the group; removing yourself is `leave`.
   * - `leave` (any member): when the last admin leaves, the longest-standing member becomes admin.
   * - `promote` (admins): the target becomes an admin.
   * - `rename` (any member).
   * A non-member actor gets `not_member`, a non-admin `forbidden`, an unknown group
   * `not_member` too (so ids cannot be probed).
   */
  changeGroup(change: GroupChange): Promise<GroupChangeResult>;
  /** The group with its current members, or undefined (also for direct conversations). */
  groupInfo(conversationId: string): Promise<StoredGroup | undefined>;
  /** A current member's role and joined seq (direct conversations: member, 0), or undefined. */
  memberOf(conversationId: string, userId: string): Promise<MemberInfo | undefined>;
  /**
   * The two lowest current members by delivered cursor, and the two lowest by read cursor
   * (ties by user id): enough to tell any member the lowest cursors of the others (see
   * `lowestOfOthers`), which is what group ticks are. The store does the scan, so a 20,000-member
   * group costs two small result rows rather than 20,000 objects.
   */
  lowestCursors(conversationId: string): Promise<LowestCursors>;
  /**
   * Who sent the messages with seq > afterSeq, with each sender's highest seq. Looks at the last
   * 1,000 messages at most, so a member who stays away for long cannot make it a scan.
   */
  recentSenders(
    conversationId: string,
    afterSeq: number,
  ): Promise<Array<{ userId: string; seq: number }>>;
  /**
   * Message info: for each current member, when their delivered and read cursors first reached
   * `seq` (null if not yet). Kept for groups only: `moveCursors` records the time of every
   * member-cursor advance in a group.
   */
  messageReceipts(conversationId: string, seq: number): Promise<MessageReceipt[]>;
  /** Ids of the user's groups that have at least `minMembers` members. */
  largeGroupsOf(userId: string, minMembers: number): Promise<string[]>;
}

export interface NewGroup {
  name: string;
  creatorId: string;
  creatorDeviceId: string;
  members: string[];
  maxMembers: number;
}

export type GroupChange = {
  conversationId: string;
  actorId: string;
  actorDeviceId: string;
  maxMembers: number;
} & (
  | { kind: "add"; users: string[] }
  | { kind: "remove"; user: string }
  | { kind: "leave" }
  | { kind: "promote"; user: string }
  | { kind: "rename"; name: string }
);

export interface MemberInfo {
  role: "admin" | "member";
  joinedSeq: number;
}

export interface StoredGroup {
  /** Group ids start with `g:`, direct ones with `d:`. */
  id: string;
  name: string;
  createdAt: number;
  /** Current members, admins first, then by joined seq; with their user names (one query). */
  members: Array<MemberInfo & { userId: string; username: string; displayName: string }>;
}

export interface GroupChangeResult {
  /** The system message the change appended. */
  message: StoredMessage;
  /** The group after the change. */
  group: StoredGroup;
  /** Users who stopped being members with this change (they still get its system message). */
  removed: string[];
}

export interface MessageReceipt {
  userId: string;
  deliveredAt: number | null;
  readAt: number | null;
}

/** A request the store refused for a rule of the data, with the protocol error code to report. */
export class StoreRejectedError extends Error {
  override name = "StoreRejectedError";
  readonly code: "not_member" | "forbidden" | "no_such_user" | "limit_reached" | "conflict";

  constructor(code: StoreRejectedError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

export class StoreConflictError extends Error {
  override name = "StoreConflictError";
}
