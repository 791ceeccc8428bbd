import {
  createDevice,
  createUser,
  deviceByTokenHash,
  devicesOf,
  revokeDevice,
  searchUsers,
  setDisplayName,
  touchDevice,
  userById,
  userByName,
} from "./store.sqlite.accounts.ts";
import type { WireError } from "./store.sqlite.conn.ts";
import {
  contactsOf,
  conversationsOf,
  ensureDirectConversation,
  membersOf,
} from "./store.sqlite.conversations.ts";
import { moveCursors, pendingFor, receiptsSince } from "./store.sqlite.cursors.ts";
import {
  changeGroup,
  createGroup,
  groupInfo,
  largeGroupsOf,
  lowestCursors,
  memberOf,
  messageReceipts,
  recentSenders,
} from "./store.sqlite.groups.ts";
import { appendMessage, messagesAfter, messagesBefore } from "./store.sqlite.messages.ts";
import { expireSentCids, pruneDelivered } from "./store.sqlite.prune.ts";

/**
 * Every store operation, by name. Writes run in the worker inside the batch transaction; reads
 * take only a connection, so they run on whichever connection serves reads.
 */
export const writeOps = {
  createUser,
  setDisplayName,
  createDevice,
  revokeDevice,
  touchDevice,
  ensureDirectConversation,
  appendMessage,
  moveCursors,
  pruneDelivered,
  expireSentCids,
  createGroup,
  changeGroup,
};

export const readOps = {
  userById,
  userByName,
  searchUsers,
  deviceByTokenHash,
  devicesOf,
  membersOf,
  conversationsOf,
  contactsOf,
  messagesAfter,
  messagesBefore,
  pendingFor,
  receiptsSince,
  groupInfo,
  memberOf,
  lowestCursors,
  recentSenders,
  messageReceipts,
  largeGroupsOf,
};

/**
 * Writes made of a single statement are atomic by themselves (SQLite backs out a failed
 * statement), so they skip the per-request savepoint; this matters for the hot append path.
 */
export const singleStatementOps: ReadonlySet<string> = new Set<WriteOpName>([
  "appendMessage",
  "expireSentCids",
  "setDisplayName",
  "createDevice",
  "revokeDevice",
  "touchDevice",
  "createUser",
]);

export type WriteOps = typeof writeOps;
export type WriteOpName = keyof WriteOps;
export type ReadOps = typeof readOps;
export type ReadOpName = keyof ReadOps;

/** The arguments of an op after its context parameter. */
export type OpArgs<F> = F extends (ctx: never, ...args: infer A) => unknown ? A : never;

/** Main thread → worker: one or more requests, all to run in the worker's next batch. */
export interface Request {
  id: number;
  op: WriteOpName | ReadOpName;
  args: unknown[];
}

/** Worker → main thread: the outcome of one request. */
export type Result =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

export type WorkerMessage =
  | { type: "ready" }
  /** `restart`: the batch failed as a whole and the worker wants a fresh connection. */
  | {
      type: "results";
      results: Result[];
      batchSize: number;
      restart: boolean;
      /** The worker thread's CPU time so far, in microseconds (for the store benchmark). */
      cpuMicros: number;
    };

/** Messages the main thread sends besides request arrays. */
export type ControlMessage = { type: "close" } | { type: "fault"; fault: Fault };

/**
 * Faults a test can inject into the worker: `closeDb` closes its connection underneath it (the
 * next batch fails as a whole); `crashBeforeCommit` makes the thread die inside the next batch's
 * transaction, before COMMIT.
 */
export type Fault = "closeDb" | "crashBeforeCommit";
