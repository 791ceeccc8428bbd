import { z } from "zod";
import { Limits } from "./limits.ts";

/**
 * What a message carries. A discriminated union on `type` so that new kinds (media, location,
 * system messages) are added without touching the frames that carry them.
 */
export const TextContent = z.object({
  type: z.literal("text"),
  text: z.string().min(1).max(Limits.maxTextChars),
});

export const Content = z.discriminatedUnion("type", [TextContent]);
export type Content = z.infer<typeof Content>;
