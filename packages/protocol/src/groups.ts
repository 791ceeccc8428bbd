import { z } from "zod";
import { Limits } from "./limits.ts";

/**
 * Groups over REST. Every change is also stored in the group's log as a `system` message, which
 * is how members (online or not) learn of it; these endpoints answer the caller only.
 */
const GroupName = z.string().trim().min(1).max(Limits.groupNameMax);
const UserId = z.string().min(1).max(128);

/** POST /api/groups: the creator becomes the first admin. */
export const CreateGroupBody = z.object({
  name: GroupName,
  members: z.array(UserId).max(Limits.groupCreateMax),
});
export type CreateGroupBody = z.infer<typeof CreateGroupBody>;

/** PATCH /api/groups/:id (any member). */
export const RenameGroupBody = z.object({ name: GroupName });
export type RenameGroupBody = z.infer<typeof RenameGroupBody>;

/** POST /api/groups/:id/members (admins). */
export const AddMembersBody = z.object({
  users: z.array(UserId).min(1).max(Limits.groupCreateMax),
});
export type AddMembersBody = z.infer<typeof AddMembersBody>;

/** POST /api/groups/:id/admins (admins). */
export const PromoteBody = z.object({ user: UserId });
export type PromoteBody = z.infer<typeof PromoteBody>;

export type GroupRole = "admin" | "member";

export interface GroupMemberInfo {
  id: string;
  username: string;
  displayName: string;
  role: GroupRole;
  /** Seq of the system message that added the member: they see messages after it. */
  joinedSeq: number;
}

/** GET /api/groups/:id and the answer to every change. */
export interface GroupInfo {
  id: string;
  name: string;
  createdAt: number;
  members: GroupMemberInfo[];
  /** The seq of the system message the change wrote (absent for GET). */
  seq?: number;
}

/** GET /api/conversations/:id/messages/:seq/info: when each other member got and read it. */
export interface MessageReceiptInfo {
  seq: number;
  members: Array<{ user: string; deliveredAt: number | null; readAt: number | null }>;
}
