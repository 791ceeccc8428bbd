import { z } from "zod";
import type { Content } from "./content.ts";
import { Limits } from "./limits.ts";

/**
 * REST bodies under `/api`. Requests other than register and login carry
 * `Authorization: Bearer <device token>`. Errors answer with an HTTP status and an `ErrorBody`.
 */
export const Username = z
  .string()
  .min(Limits.usernameMin)
  .max(Limits.usernameMax)
  .regex(/^[a-z0-9_.]+$/, "lowercase letters, digits, _ and . only");
const Password = z.string().min(Limits.passwordMin).max(Limits.passwordMax);
const DisplayName = z.string().trim().min(1).max(Limits.displayNameMax);
const DeviceName = z.string().trim().min(1).max(64);

export const RegisterBody = z.object({
  username: Username,
  password: Password,
  displayName: DisplayName.optional(),
  deviceName: DeviceName.optional(),
});
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = z.object({
  username: z.string().min(1).max(Limits.usernameMax),
  password: z.string().min(1).max(Limits.passwordMax),
  deviceName: DeviceName.optional(),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const UpdateMeBody = z.object({ displayName: DisplayName });
export type UpdateMeBody = z.infer<typeof UpdateMeBody>;

export const CreateConversationBody = z.object({ with: z.string().min(1).max(128) });
export type CreateConversationBody = z.infer<typeof CreateConversationBody>;

export interface UserInfo {
  id: string;
  username: string;
  displayName: string;
}

export interface DeviceInfo {
  id: string;
  name: string;
  createdAt: number;
  lastActiveAt: number;
  /** True for the device whose token made the request. */
  current: boolean;
}

/** POST /api/register, POST /api/login */
export interface AuthResponse {
  token: string;
  user: UserInfo;
  device: DeviceInfo;
}

export interface Presence {
  online: boolean;
  lastSeen: number;
}

export interface MessageInfo {
  conv: string;
  id: string;
  seq: number;
  from: string;
  cid: string;
  ts: number;
  content: Content;
}

/** One row of GET /api/conversations, newest activity first. */
export interface ConversationSummary {
  id: string;
  kind: "direct" | "group";
  /** The other member's display name, or the group's name. */
  title: string;
  /** Direct conversations: the other member, with presence. Null for groups. */
  peer: (UserInfo & Presence) | null;
  memberCount: number;
  lastSeq: number;
  lastMessage: MessageInfo | null;
  /** Messages from others above my read cursor. */
  unread: number;
  /** My own read cursor (max over my devices). */
  readSeq: number;
  /**
   * The lowest cursors among the other members: my messages up to these seqs are delivered to /
   * read by all of them.
   */
  peerDelivered: number;
  peerRead: number;
}

/** GET /api/conversations/:id/messages?before=SEQ&limit=N: a page, oldest first. */
export interface MessagePage {
  messages: MessageInfo[];
  /** True if older messages exist before the first one returned. */
  more: boolean;
}
