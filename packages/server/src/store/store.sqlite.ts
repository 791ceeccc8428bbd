import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Checkpointer, type CheckpointerOptions } from "./store.sqlite.checkpointer.ts";
import { Conn, classify } from "./store.sqlite.conn.ts";
import type { AppendOutcome } from "./store.sqlite.messages.ts";
import {
  type Fault,
  type OpArgs,
  type ReadOpName,
  type ReadOps,
  readOps,
  type WriteOpName,
  type WriteOps,
} from "./store.sqlite.ops.ts";
import { type BatchStats, WorkerThread } from "./store.sqlite.thread.ts";
import { WalSignal } from "./store.sqlite.wal-signal.ts";
import type {
  AppendResult,
  ConversationRow,
  CursorMove,
  GroupChange,
  GroupChangeResult,
  LowestCursors,
  MemberCursor,
  MemberInfo,
  MessageReceipt,
  MissedReceipts,
  NewDevice,
  NewGroup,
  NewMessage,
  NewUser,
  PendingConversation,
  Store,
  StoredDevice,
  StoredGroup,
  StoredMessage,
  StoredUser,
} from "./store.ts";
import { StoreConflictError, StoreUnavailableError } from "./store.ts";

export interface SqliteStoreOptions {
  /** Directory of the database file `courier.db`; created if missing. */
  dataDir: string;
  /**
   * Where reads run. "main" (default): on a query-only connection of the calling thread, which
   * answers at once, also while a commit is in flight. "worker": in the writer's batches, queued
   * behind commits; kept for comparison in the store benchmark.
   */
  reads?: "main" | "worker";
  /** The background checkpointer's pace and when it has the writer rewind the WAL. */
  checkpoints?: CheckpointerOptions;
}

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL.
 *
 * Writes go to one worker thread (store.sqlite.worker.ts) that owns the writing connection and
 * group-commits whatever arrives while it is busy; a write resolves after its batch committed and
 * the WAL was fsynced. Reads run on a query-only connection of the main thread by default: WAL
 * readers see the last commit without waiting for the writer, and since a write resolves only
 * after its commit, a read issued after an awaited write sees it. Reads made of several queries
 * run in one snapshot.
 *
 * Why reads do not go through the worker: there they queue behind whole commits. Measured beside
 * a write load of 2,000 appends in flight (bench/src/store.ts), membersOf + messagesAfter(20)
 * took 0.1 ms at the median on the main thread and 90 to 460 ms through the worker (quiet and
 * busy machine). The price is that a read blocks the event loop while it runs (tens of
 * microseconds for the point and range queries the server makes), and that its promise settles
 * without a trip through the event loop, so a caller looping over reads should yield now and then.
 */
export class SqliteStore implements Store {
  readonly #thread: WorkerThread;
  readonly #reader: Conn | undefined;
  readonly #checkpointer: Checkpointer;
  #closed = false;

  private constructor(thread: WorkerThread, reader: Conn | undefined, checkpointer: Checkpointer) {
    this.#thread = thread;
    this.#reader = reader;
    this.#checkpointer = checkpointer;
  }

  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    await mkdir(options.dataDir, { recursive: true });
    const path = join(options.dataDir, "courier.db");
    // The worker creates and migrates the file, so it starts before the reader opens it.
    const walSignal = new WalSignal();
    const thread = await WorkerThread.start(path, walSignal.buffer);
    try {
      const reader = options.reads === "worker" ? undefined : new Conn(path, { readOnly: true });
      return new SqliteStore(
        thread,
        reader,
        Checkpointer.start(path, walSignal, options.checkpoints),
      );
    } catch (err) {
      await thread.close();
      throw err;
    }
  }

  /** Commit batch sizes since the store opened (or since `resetBatchStats`). */
  batchStats(): BatchStats {
    return { ...this.#thread.stats };
  }

  resetBatchStats(): void {
    Object.assign(this.#thread.stats, { batches: 0, requests: 0, maxBatch: 0, workerCpuMicros: 0 });
  }

  /** Test hook: injects a fault into the writer thread (see `Fault`). */
  injectFault(fault: Fault): void {
    this.#thread.fault(fault);
  }

  #write<K extends WriteOpName>(
    op: K,
    ...args: OpArgs<WriteOps[K]>
  ): Promise<ReturnType<WriteOps[K]>> {
    return this.#thread.request(op, args) as Promise<ReturnType<WriteOps[K]>>;
  }

  async #read<K extends ReadOpName>(
    op: K,
    ...args: OpArgs<ReadOps[K]>
  ): Promise<ReturnType<ReadOps[K]>> {
    if (this.#closed) throw new StoreUnavailableError("store is closed");
    const reader = this.#reader;
    if (reader === undefined) {
      return (await this.#thread.request(op, args)) as ReturnType<ReadOps[K]>;
    }
    try {
      const fn = readOps[op] as (c: Conn, ...a: unknown[]) => unknown;
      return fn(reader, ...args) as ReturnType<ReadOps[K]>;
    } catch (err) {
      const { kind, message } = classify(err);
      if (kind === "unavailable") throw new StoreUnavailableError(message);
      if (kind === "conflict") throw new StoreConflictError(message);
      throw err;
    }
  }

  // --- accounts and devices ---

  createUser(user: NewUser): Promise<StoredUser> {
    return this.#write("createUser", user);
  }
  userById(id: string): Promise<StoredUser | undefined> {
    return this.#read("userById", id);
  }
  userByName(username: string): Promise<StoredUser | undefined> {
    return this.#read("userByName", username);
  }
  searchUsers(prefix: string, limit: number): Promise<StoredUser[]> {
    return this.#read("searchUsers", prefix, limit);
  }
  setDisplayName(userId: string, displayName: string): Promise<void> {
    return this.#write("setDisplayName", userId, displayName);
  }
  createDevice(device: NewDevice): Promise<StoredDevice> {
    return this.#write("createDevice", device);
  }
  deviceByTokenHash(tokenHash: string): Promise<StoredDevice | undefined> {
    return this.#read("deviceByTokenHash", tokenHash);
  }
  devicesOf(userId: string): Promise<StoredDevice[]> {
    return this.#read("devicesOf", userId);
  }
  revokeDevice(userId: string, deviceId: string): Promise<boolean> {
    return this.#write("revokeDevice", userId, deviceId);
  }
  touchDevice(deviceId: string, at: number): Promise<void> {
    return this.#write("touchDevice", deviceId, at);
  }

  // --- conversations ---

  ensureDirectConversation(conversationId: string, userA: string, userB: string): Promise<void> {
    return this.#write("ensureDirectConversation", conversationId, userA, userB);
  }
  membersOf(conversationId: string): Promise<string[] | undefined> {
    return this.#read("membersOf", conversationId);
  }
  conversationsOf(userId: string): Promise<ConversationRow[]> {
    return this.#read("conversationsOf", userId);
  }
  contactsOf(userId: string): Promise<string[]> {
    return this.#read("contactsOf", userId);
  }

  // --- messages ---

  async appendMessage(message: NewMessage): Promise<AppendResult> {
    const outcome: AppendOutcome = await this.#write("appendMessage", message);
    if ("duplicate" in outcome) return { message: outcome.duplicate, duplicate: true };
    return {
      message: {
        conversationId: message.conversationId,
        id: outcome.id,
        seq: outcome.seq,
        senderId: message.senderId,
        senderDeviceId: message.senderDeviceId,
        cid: message.cid,
        ts: outcome.ts,
        content: message.content,
      },
      duplicate: false,
    };
  }
  messagesAfter(conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#read("messagesAfter", conversationId, afterSeq, limit);
  }
  messagesBefore(
    conversationId: string,
    beforeSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    return this.#read("messagesBefore", conversationId, beforeSeq, limit);
  }

  // --- cursors and receipts ---

  moveCursors(moves: CursorMove[]): Promise<MemberCursor[]> {
    if (moves.length === 0) return Promise.resolve([]);
    return this.#write("moveCursors", moves);
  }
  pendingFor(userId: string, deviceId: string): Promise<PendingConversation[]> {
    return this.#read("pendingFor", userId, deviceId);
  }
  receiptsSince(userId: string, since: number): Promise<MissedReceipts> {
    return this.#read("receiptsSince", userId, since);
  }

  async health(): Promise<void> {
    if (this.#closed) throw new StoreUnavailableError("store is closed");
    // A point read through the writer thread: proves the thread that commits is alive and answers.
    await this.#thread.request("userById", [""]);
  }

  // --- groups ---

  createGroup(group: NewGroup): Promise<GroupChangeResult> {
    return this.#write("createGroup", group);
  }
  changeGroup(change: GroupChange): Promise<GroupChangeResult> {
    return this.#write("changeGroup", change);
  }
  groupInfo(conversationId: string): Promise<StoredGroup | undefined> {
    return this.#read("groupInfo", conversationId);
  }
  memberOf(conversationId: string, userId: string): Promise<MemberInfo | undefined> {
    return this.#read("memberOf", conversationId, userId);
  }
  lowestCursors(conversationId: string): Promise<LowestCursors> {
    return this.#read("lowestCursors", conversationId);
  }
  recentSenders(
    conversationId: string,
    afterSeq: number,
  ): Promise<Array<{ userId: string; seq: number }>> {
    return this.#read("recentSenders", conversationId, afterSeq);
  }
  messageReceipts(conversationId: string, seq: number): Promise<MessageReceipt[]> {
    return this.#read("messageReceipts", conversationId, seq);
  }
  largeGroupsOf(userId: string, minMembers: number): Promise<string[]> {
    return this.#read("largeGroupsOf", userId, minMembers);
  }

  // --- retention ---

  pruneDelivered(conversationId: string): Promise<number> {
    return this.#write("pruneDelivered", conversationId);
  }
  expireSentCids(before: number, limit: number): Promise<number> {
    return this.#write("expireSentCids", before, limit);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#checkpointer.close();
    await this.#thread.close();
    this.#reader?.close();
  }
}
