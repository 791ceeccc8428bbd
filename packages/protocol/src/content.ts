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
 * sees it in order: `actor` did `event` to `users` (or renamed the group to `name`).
 */
export const SystemContent = z.object({
  type: z.literal("system"),
  event: z.enum(["created", "added", "removed", "left", "renamed", "promoted"]),
  actor: z.string(),
  users: z.array(z.string()).optional(),
  name: z.string().optional(),
});
export type SystemContent = z.infer<typeof SystemContent>;

/** Everything a stored message can carry. */
export const Content = z.discriminatedUnion("type", [TextContent, SystemContent]);
export type Content = z.infer<typeof Content>;
