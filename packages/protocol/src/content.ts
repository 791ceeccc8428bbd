import { z } from "zod";
import { Limits } from "./limits.ts";

/**
 * What a message carries. A discriminated union on `type` so that new kinds (media, location)
 * are added without touching the frames that carry them.
 */
export const TextContent = z.object({
  type: z.literal("text"),
  text: z.string().min(1).max(Limits.maxTextChars),
});

/** What a client may send. System messages are written only by the server. */
export const ClientContent = z.discriminatedUnion("type", [TextContent]);
export type ClientContent = z.infer<typeof ClientContent>;

/**
 * A change to a group, stored in its log like any message so that every member, online or not,
 * sees it in order: `actor` did `event` to `users` (or renamed the group to `name`). A change
 * that concerns many users lists the first `Limits.systemUsersListed` and gives the total in
 * `count`: the message goes to every member, and listing a thousand ids to twenty thousand
 * members would be ~420 MB of traffic for one bulk add (21 KB × 20,000, computed). The member
 * list itself is the group's info (REST).
 */
export const SystemContent = z.object({
  type: z.literal("system"),
  event: z.enum(["created", "added", "removed", "left", "renamed", "promoted"]),
  actor: z.string(),
  users: z.array(z.string()).optional(),
  /** How many users the change concerned, when `users` lists only the first of them. */
  count: z.number().int().optional(),
  name: z.string().optional(),
});
export type SystemContent = z.infer<typeof SystemContent>;

/** The `users` (and `count`, if they are more than are listed) of a system message. */
export function listedUsers(users: string[]): { users: string[]; count?: number } {
  if (users.length <= Limits.systemUsersListed) return { users };
  return { users: users.slice(0, Limits.systemUsersListed), count: users.length };
}

/** Everything a stored message can carry. */
export const Content = z.discriminatedUnion("type", [TextContent, SystemContent]);
export type Content = z.infer<typeof Content>;
