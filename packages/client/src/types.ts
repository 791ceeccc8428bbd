import type {
  Content,
  ErrorCode,
  GroupReceiptFrame,
  PresenceFrame,
  ReceiptFrame,
  TypingEventFrame,
  UserInfo,
} from "@courier/protocol";

/**
 * Where a message is on its journey. Own messages move forward only:
 * `pending` (stored in the local outbox, not yet acknowledged by the server) → `sent` (one tick:
 * the server stored it) → `delivered` (two ticks: a device of the recipient stored it) → `read`
 * (blue ticks). `failed` is reached only through a permanent error (or exhausted retries) and
 * leaves again only through `CourierClient.resend`. Messages from other users are `received`.
 */
export type MessageStatus = "pending" | "sent" | "delivered" | "read" | "failed" | "received";

/** Rank of each status, so "forward only" is one comparison. `failed` ranks with `pending`. */
export const statusRank: Readonly<Record<MessageStatus, number>> = {
  failed: 0,
  pending: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  received: 3,
};

/**
 * A message as this device knows it. Values are immutable snapshots: every change (a status
 * move, the server id arriving) produces a new object, emitted through the `status` event, so UI
 * code can compare by reference.
 */
export interface LocalMessage {
  /** Conversation id. Known before the first send: direct ids derive from the two user ids. */
  readonly conv: string;
  /** Client id: random, chosen by the sending device, the idempotency key of the send. */
  readonly cid: string;
  /** Server id, once the server stored it. */
  readonly id?: string;
  /** Per-conversation sequence number, once the server stored it. */
  readonly seq?: number;
  /** Sender's user id. */
  readonly from: string;
  /** ms since the epoch: the server's time once stored, the local send time while pending. */
  readonly ts: number;
  readonly content: Content;
  readonly status: MessageStatus;
  /** For a pending send addressed to a user (`{to}`): the server creates the conversation. */
  readonly to?: string;
  /** For `failed`: the error code that made it fail. */
  readonly error?: string;
}

/** Where a send goes: an existing conversation, or a user (the direct conversation is created). */
export type SendTarget = { conv: string } | { to: string };

/**
 * Connection lifecycle, as the UI shows it: `offline` (not connected; reconnecting later if
 * wanted), `connecting` (socket opening), `authenticating` (auth frame sent, waiting for `ready`),
 * `syncing` (ready; missed messages are streaming in), `online` (caught up: `synced` arrived).
 */
export type ConnectionState = "offline" | "connecting" | "authenticating" | "syncing" | "online";

/** A logged-in device: what register/login return and what `ClientStorage` keeps. */
export interface Session {
  token: string;
  user: UserInfo;
  /** This device's id. */
  deviceId: string;
}

/** An error reported by the server (an `error` frame or a REST error body), or by the SDK. */
export class CourierError extends Error {
  override name = "CourierError";
  /** A protocol `ErrorCode`, or an SDK code: `network`, `storage`, `bad_response`. */
  readonly code: ErrorCode | SdkErrorCode;
  /** HTTP status for REST errors (0 when the request never got an answer). */
  readonly status: number | undefined;
  /** For errors about a send: its client id. */
  readonly ref: string | undefined;
  constructor(
    code: ErrorCode | SdkErrorCode,
    message: string,
    extra: { status?: number; ref?: string; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    this.status = extra.status;
    this.ref = extra.ref;
  }
}

/** Error codes the SDK itself produces (never sent by the server). */
export type SdkErrorCode = "network" | "storage" | "bad_response" | "not_logged_in";

/** Why the connection stopped for good: the session must log in again. */
export interface AuthFailure {
  /** The WebSocket close code (4001 auth failed, 4003 revoked) or 401 from REST. */
  code: number;
  reason: string;
}

/** Every event `CourierClient.on` can subscribe to, with its payload. */
export interface ClientEvents {
  /** The connection state changed. */
  state: ConnectionState;
  /** A message arrived from another user or from another device of mine, in seq order per conversation. */
  message: LocalMessage;
  /** One of my messages changed (status, or id/seq/ts once `sent`). The payload is the new snapshot. */
  status: LocalMessage;
  /** A member's cursors moved in a conversation (including my own, moved by another device). */
  receipt: ReceiptFrame;
  /** Groups: every other member has received / read my messages up to these seqs. */
  group_receipt: GroupReceiptFrame;
  typing: TypingEventFrame;
  presence: PresenceFrame;
  /** Everything missed while away has been received and stored. */
  synced: undefined;
  /** A server error frame, or a failure inside the SDK (storage). Informational. */
  error: CourierError;
  /** Terminal: the token was refused or the device revoked. No reconnect until a new login. */
  auth_failed: AuthFailure;
}
