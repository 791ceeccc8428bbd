import { serialize } from "../gateway/serialize.ts";
import type { StoredMessage } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";
import { toMessageFrame } from "./frames.ts";

/**
 * A large group's message rides inside the group event when its JSON is at most this long
 * (every text message, a location, a media message with its small thumbnail). Members whose
 * inbox is right behind it take it as it is: one socket write each, with the JSON built once per
 * node. A bigger one is announced with `notify` and pulled by those who want it.
 */
export const inlineMessageChars = 4096;

/**
 * Step 3, routing a stored message. Up to the large-group threshold: fan-out on write, the full
 * `msg` to each member (one bus publish per member). Above it: ONE event on the group's topic,
 * which each node hands to its own connected members (the sender's node does one publish,
 * whatever the size): the message itself when it is small, else a `notify`; a member who is
 * behind pulls what it misses ("push to notify, pull to serve").
 */
export function fanOut(
  ctx: DeliveryContext,
  message: StoredMessage,
  members: string[],
  exceptDevice?: string,
): void {
  ctx.seqs.note(message.conversationId, message.seq);
  const frame = toMessageFrame(message);
  const event = exceptDevice === undefined ? { frame } : { frame, exceptDevice };
  if (members.length > ctx.config.largeGroupThreshold) {
    const inline = serialize(frame).length <= inlineMessageChars;
    ctx.router.toGroup(
      message.conversationId,
      inline ? event : { frame: { t: "notify", conv: message.conversationId, seq: message.seq } },
    );
    return;
  }
  for (const member of members) ctx.router.toUser(member, event);
}
