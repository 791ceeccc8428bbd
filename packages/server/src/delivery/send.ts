import { directConversationId, ErrorCode, type SendFrame } from "@courier/protocol";
import type { Connection } from "../gateway/connection.ts";
import type { DeliveryContext } from "./context.ts";
import { errorFrame, errorFrameFor } from "./errors.ts";
import { fanOut } from "./fanout.ts";
import { isDirect } from "./membership.ts";

/**
 * Steps 1–3 of the delivery flow: check the sender may write to the conversation, persist (the
 * store batches this into a group commit), ack the sending device with `sent`, and route `msg`
 * to every other device of every member. Nothing is acked before the store says it is durable.
 */
export async function handleSend(ctx: DeliveryContext, conn: Connection, frame: SendFrame) {
  // A conversation the sender is known to belong to is settled without awaiting anything: each
  // await is a promise and a microtask turn, and the checks below take several per message.
  const known = knownConversation(ctx, conn, frame);
  const conversationId = known?.conversationId ?? (await resolveConversation(ctx, conn, frame));
  if (conversationId === undefined) return;
  const members = known?.members ?? (await ctx.membership.membersOf(conversationId));
  if (!members) return; // cannot happen after resolveConversation, but the type says so
  let result: Awaited<ReturnType<typeof ctx.store.appendMessage>>;
  try {
    result = await ctx.store.appendMessage({
      conversationId,
      senderId: conn.userId,
      senderDeviceId: conn.deviceId,
      cid: frame.cid,
      content: frame.content,
    });
  } catch (err) {
    ctx.log.warn({ err }, "append failed");
    conn.send(errorFrameFor(err, frame.cid));
    return;
  }
  const { message, duplicate } = result;
  const sent = {
    t: "sent",
    cid: message.cid,
    conv: message.conversationId,
    id: message.id,
    seq: message.seq,
    ts: message.ts,
  } as const;
  // In a direct conversation whose recipient is online, the delivered receipt follows within a
  // millisecond or two: let `sent` wait for it (Connection.linger) so both make one write.
  if (!duplicate && isDirect(conversationId)) conn.linger(sent);
  else conn.send(sent);
  if (duplicate) {
    // The first copy was routed when it was stored (or will reach devices through sync).
    ctx.metrics.duplicateSends.inc();
    return;
  }
  ctx.metrics.messagesStored.inc();
  fanOut(ctx, message, members, conn.deviceId);
  ctx.onStored?.(message, members);
}

/** The frame's conversation and its members, if the member cache settles it on the spot. */
function knownConversation(
  ctx: DeliveryContext,
  conn: Connection,
  frame: SendFrame,
): { conversationId: string; members: string[] } | undefined {
  const conversationId =
    frame.to === undefined
      ? frame.conv
      : frame.to === conn.userId
        ? undefined // refused by resolveConversation
        : directConversationId(conn.userId, frame.to);
  if (conversationId === undefined) return undefined;
  const members = ctx.membership.peek(conversationId);
  if (members === undefined || !members.set.has(conn.userId)) return undefined;
  return { conversationId, members: members.ids };
}

async function resolveConversation(
  ctx: DeliveryContext,
  conn: Connection,
  frame: SendFrame,
): Promise<string | undefined> {
  if (frame.to !== undefined) {
    if (frame.to === conn.userId) {
      conn.send(
        errorFrame(
          ErrorCode.badFrame,
          "send: cannot start a conversation with yourself",
          frame.cid,
        ),
      );
      return undefined;
    }
    const conversationId = directConversationId(conn.userId, frame.to);
    try {
      if (await ctx.membership.ensureDirect(conversationId, conn.userId, frame.to)) {
        return conversationId;
      }
    } catch (err) {
      conn.send(errorFrameFor(err, frame.cid));
      return undefined;
    }
    conn.send(errorFrame(ErrorCode.noSuchUser, "send: no such user", frame.cid));
    return undefined;
  }
  const conversationId = frame.conv as string;
  if (await isMemberOrReport(ctx, conn, conversationId, frame.cid)) return conversationId;
  return undefined;
}

/**
 * Checks membership and answers the client itself when it fails. Unknown conversations get
 * `not_member` too, so that a client cannot probe which conversation ids exist.
 */
export async function isMemberOrReport(
  ctx: DeliveryContext,
  conn: Connection,
  conversationId: string,
  ref?: string,
): Promise<boolean> {
  try {
    if (await ctx.membership.isMember(conversationId, conn.userId)) return true;
    conn.send(errorFrame(ErrorCode.notMember, "not a member of this conversation", ref));
  } catch (err) {
    conn.send(errorFrameFor(err, ref));
  }
  return false;
}
