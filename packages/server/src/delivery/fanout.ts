import type { StoredMessage } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";
import { toMessageFrame } from "./frames.ts";

/**
 * Step 3, routing a stored message. Up to the large-group threshold: fan-out on write, the full
 * `msg` to each member (one bus publish per member). Above it: one `notify` published on the
 * group's topic, which each node hands to its own connected members, who then pull what they
 * miss ("push to notify, pull to serve"); the sender's node does one publish, whatever the size.
 */
export function fanOut(
  ctx: DeliveryContext,
  message: StoredMessage,
  members: string[],
  exceptDevice?: string,
): void {
  ctx.seqs.note(message.conversationId, message.seq);
  if (members.length > ctx.config.largeGroupThreshold) {
    ctx.router.toGroup(message.conversationId, {
      frame: { t: "notify", conv: message.conversationId, seq: message.seq },
    });
    return;
  }
  const frame = toMessageFrame(message);
  const event = exceptDevice === undefined ? { frame } : { frame, exceptDevice };
  for (const member of members) ctx.router.toUser(member, event);
}
