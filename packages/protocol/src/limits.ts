/** Defaults shared by server and client. The server's configuration may override them. */
export const Limits = {
  /** Largest WebSocket frame the server accepts before answering `too_large`. */
  maxFrameBytes: 64 * 1024,
  /** Largest text body of a message, in characters. */
  maxTextChars: 16 * 1024,
  /** Longest client id. */
  maxClientIdChars: 64,
  /** Most messages one `pull` or history page returns. */
  maxPageSize: 500,
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 256,
  displayNameMax: 64,
  groupNameMax: 100,
  /** Most members one create or add request may name (the group's size limit is configured). */
  groupCreateMax: 1024,
  /** Most user ids a group's system message lists; `count` gives the total beyond that. */
  systemUsersListed: 20,
} as const;
