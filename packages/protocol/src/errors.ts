/**
 * Every error Courier reports, in one place. Codes are stable strings: clients branch on them,
 * so a code is never renamed or reused. The message beside a code is for people and may change.
 */
export const ErrorCode = {
  /** The WebSocket message was not valid JSON. */
  badJson: "bad_json",
  /** A frame's fields did not match the schema for its type. */
  badFrame: "bad_frame",
  /** A REST request body or query did not match its schema. */
  badRequest: "bad_request",
  /** The frame's `t` is not a type this server knows. */
  unknownType: "unknown_type",
  /** The frame exceeded the size limit (64 KiB by default). */
  tooLarge: "too_large",
  /** A frame other than `auth` arrived before authentication succeeded. */
  notAuthenticated: "not_authenticated",
  /** The user is not a member of the conversation the frame names. */
  notMember: "not_member",
  /** The conversation does not exist (or the user may not know it exists). */
  noSuchConversation: "no_such_conversation",
  /** The addressed user does not exist. */
  noSuchUser: "no_such_user",
  /** The connection or user sent faster than the configured rate. */
  rateLimited: "rate_limited",
  /** A backend (database, bus) is unreachable: nothing was stored, retry later with the same client id. */
  unavailable: "unavailable",
  /** The request is well formed but not allowed (for example an admin action by a non-admin). */
  forbidden: "forbidden",
  /** The request conflicts with existing state (for example a username already taken). */
  conflict: "conflict",
  /** Credentials or token were wrong, missing, expired or revoked (HTTP 401). */
  unauthorized: "unauthorized",
  /** The REST resource does not exist. */
  notFound: "not_found",
  /** A limit was reached (group size, request body size, ...). */
  limitReached: "limit_reached",
  /** A bug on the server. Reported, logged, never leaks internals. */
  internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes Courier uses (4000-4999 is the application range). Each says whether the
 * client should reconnect: auth failures must not be retried with the same token, the others should.
 */
export const CloseCode = {
  /** Normal close by either side. */
  normal: 1000,
  /** Server is shutting down; reconnect with backoff. */
  goingAway: 1001,
  /** A single message exceeded the hard transport limit; reconnect. */
  messageTooBig: 1009,
  /** The first frame was not a valid `auth` frame, or the token is unknown. Do not retry. */
  authFailed: 4001,
  /** No `auth` frame arrived in time. Reconnect. */
  authTimeout: 4002,
  /** The device was revoked or logged out while connected. Do not retry. */
  revoked: 4003,
  /** No heartbeat answer in time: the connection was presumed dead. Reconnect. */
  heartbeatTimeout: 4004,
  /** The client could not keep up (send buffer over limit). Reconnect and resync. */
  slowConsumer: 4008,
  /** The client kept flooding after rate-limit errors. Reconnect after backoff. */
  flood: 4029,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which a client must not reconnect with the same token. */
export const terminalCloseCodes: ReadonlySet<number> = new Set([
  CloseCode.authFailed,
  CloseCode.revoked,
]);

/** The body of every REST error response and of every `error` frame's payload. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
