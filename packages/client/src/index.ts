/**
 * @courier/client: the Courier SDK. Runtime-neutral (no DOM, no `node:`, no React Native):
 * platform pieces come in through options (WebSocket, fetch, storage, scheduler).
 */
export { Backoff, type BackoffOptions } from "./backoff.ts";
export { FrameBatcher } from "./batcher.ts";
export { CourierClient, type CourierClientOptions } from "./client.ts";
export { ConnectionManager, type ConnectionOptions } from "./connection.ts";
export { Emitter } from "./emitter.ts";
export { randomId, timeOrderedId } from "./ids.ts";
export { Inbox } from "./inbox.ts";
export { Outbox, type OutboxOptions } from "./outbox.ts";
export { ReceiptTracker } from "./receipts.ts";
export { defaultGroupAckDelayMs } from "./receiver.ts";
export { type FetchLike, RestApi } from "./rest.ts";
export {
  type DefaultRetryOptions,
  defaultRetryPolicy,
  type RetryPolicy,
  retryableCodes,
} from "./retry.ts";
export { nextTick, type Scheduler } from "./scheduler.ts";
export type { WebSocketConstructor, WebSocketLike } from "./socket.ts";
export { MemoryStorage, type MemoryStorageOptions } from "./storage.memory.ts";
export type {
  ClientStorage,
  ConversationCursors,
  MessageQuery,
  StorageBatch,
} from "./storage.ts";
export {
  type AuthFailure,
  type ClientEvents,
  type ConnectionState,
  CourierError,
  type LocalMessage,
  type MessageStatus,
  type SdkErrorCode,
  type SendTarget,
  type Session,
  statusRank,
} from "./types.ts";
