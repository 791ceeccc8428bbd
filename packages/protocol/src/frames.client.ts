import { z } from "zod";
import { ClientContent } from "./content.ts";
import { ErrorCode } from "./errors.ts";
import { Limits } from "./limits.ts";

/**
 * Frames a client sends to the server over `/ws`. Every frame is a JSON object with a type tag `t`;
 * a WebSocket message may also carry a JSON array of frames, which the server handles in order.
 */
const id = z.string().min(1).max(128);
const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** First frame on every connection. The token is never put in the URL, where logs would keep it. */
export const AuthFrame = z.object({ t: z.literal("auth"), token: z.string().min(1).max(256) });

/**
 * Send a message. `cid` is the client's id for it: resending the same `cid` returns the first
 * send's server id and never stores or delivers a second copy. Exactly one of `conv` (an existing
 * conversation) or `to` (a user: the direct conversation is created on first message) is set.
 */
export const SendFrame = z
  .object({
    t: z.literal("send"),
    cid: z.string().min(1).max(Limits.maxClientIdChars),
    conv: id.optional(),
    to: id.optional(),
    content: ClientContent,
  })
  .refine((f) => (f.conv === undefined) !== (f.to === undefined), {
    message: "exactly one of conv or to must be set",
  });

/** This device has stored every message of `conv` up to and including `seq` (a cursor move). */
export const AckFrame = z.object({ t: z.literal("ack"), conv: id, seq });

/** The user has read every message of `conv` up to and including `seq` on this device. */
export const ReadFrame = z.object({ t: z.literal("read"), conv: id, seq });

/** The user started (`on: true`) or stopped typing in `conv`. Never stored. */
export const TypingFrame = z.object({ t: z.literal("typing"), conv: id, on: z.boolean() });

/** Ask for messages of `conv` after `after`; answered with `msg` frames then one `pulled`. */
export const PullFrame = z.object({
  t: z.literal("pull"),
  conv: id,
  after: seq,
  limit: z.number().int().min(1).max(Limits.maxPageSize).optional(),
});

/** Application-level heartbeat, for clients (browsers) that cannot see WebSocket pings. */
export const PingFrame = z.object({ t: z.literal("ping"), n: z.number().int().optional() });

export const ClientFrame = z.discriminatedUnion("t", [
  AuthFrame,
  SendFrame,
  AckFrame,
  ReadFrame,
  TypingFrame,
  PullFrame,
  PingFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type AuthFrame = z.infer<typeof AuthFrame>;
export type SendFrame = z.infer<typeof SendFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ReadFrame = z.infer<typeof ReadFrame>;
export type TypingFrame = z.infer<typeof TypingFrame>;
export type PullFrame = z.infer<typeof PullFrame>;
export type PingFrame = z.infer<typeof PingFrame>;

const clientFrameTypes: ReadonlySet<string> = new Set(
  ClientFrame.options.map((o) => o.shape.t.value),
);

export type FrameParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; ref?: string };

/**
 * Validate one decoded frame. Distinguishes an unknown type from a known type with bad fields so
 * that clients newer than the server get `unknown_type` and can degrade gracefully.
 */
export function parseClientFrame(value: unknown): FrameParseResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.badFrame, message: "a frame must be a JSON object" };
  }
  const t = (value as { t?: unknown }).t;
  if (typeof t !== "string" || !clientFrameTypes.has(t)) {
    return {
      ok: false,
      code: ErrorCode.unknownType,
      message: `unknown frame type ${JSON.stringify(t)?.slice(0, 40)}`,
    };
  }
  const result = ClientFrame.safeParse(value);
  if (result.success) return { ok: true, frame: result.data };
  const cid = (value as { cid?: unknown }).cid;
  const issue = result.error.issues[0];
  return {
    ok: false,
    code: ErrorCode.badFrame,
    message: `${t}: ${issue ? `${issue.path.join(".") || "frame"}: ${issue.message}` : "invalid"}`,
    ...(typeof cid === "string" ? { ref: cid.slice(0, Limits.maxClientIdChars) } : {}),
  };
}
