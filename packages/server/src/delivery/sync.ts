import { CloseCode, Limits, type PullFrame } from "@courier/protocol";
import type { Connection } from "../gateway/connection.ts";
import type { DeliveryContext } from "./context.ts";
import { errorFrameFor } from "./errors.ts";
import { toMessageFrame } from "./frames.ts";
import { lowestOfOthers } from "./group-receipts.ts";
import { isMemberOrReport } from "./send.ts";

/** Receipts that changed this long before the device's last activity are re-sent, to cover clock edges. */
const receiptSlackMs = 5_000;

/**
 * Catch-up after (re)connect. The connection is already attached to the router, so live
 * messages routed from now on are held (Connection.deliver). The backlog is read from the store
 * after attaching, so every message is either in the backlog or held, possibly both: held ones
 * the backlog already covered are dropped. Then held ones go out and the device is live.
 */
export async function syncConnection(
  ctx: DeliveryContext,
  conn: Connection,
  lastActiveAt: number,
): Promise<void> {
  conn.held = [];
  conn.syncedUpTo = new Map();
  try {
    do {
      conn.heldOverflow = false;
      const pending = await ctx.store.pendingFor(conn.userId, conn.deviceId);
      for (const p of pending) {
        const from = Math.max(p.delivered, conn.syncedUpTo.get(p.conversationId) ?? 0);
        const upTo = await sendMessagesAfter(ctx, conn, p.conversationId, from, p.lastSeq);
        if (conn.closed) return;
        conn.syncedUpTo.set(p.conversationId, upTo);
      }
      // Too many live messages arrived meanwhile to hold: catch up on them from the store instead.
      if (conn.heldOverflow) conn.held = [];
    } while (conn.heldOverflow);
    await sendMissedReceipts(ctx, conn, lastActiveAt - receiptSlackMs);
  } catch (err) {
    ctx.log.warn({ err, device: conn.deviceId }, "sync failed");
    conn.send(errorFrameFor(err));
    conn.close(CloseCode.goingAway, "sync failed, reconnect");
    return;
  }
  if (conn.closed) return;
  const held = conn.held;
  const syncedUpTo = conn.syncedUpTo;
  conn.held = null;
  conn.syncedUpTo = null;
  conn.state = "live";
  for (const frame of held) {
    if (frame.seq > (syncedUpTo.get(frame.conv) ?? 0)) conn.send(frame);
  }
  conn.send({ t: "synced" });
}

/**
 * Sends the messages of a conversation after `after` up to `upTo` in pages, waiting for the
 * socket to drain between pages so that a large backlog never balloons the send buffer.
 * Returns the highest seq sent (or `after` if none).
 */
async function sendMessagesAfter(
  ctx: DeliveryContext,
  conn: Connection,
  conversationId: string,
  after: number,
  upTo: number,
): Promise<number> {
  let last = after;
  while (last < upTo && !conn.closed) {
    const page = await ctx.store.messagesAfter(conversationId, last, Limits.maxPageSize);
    if (page.length === 0) break;
    for (const message of page) {
      if (message.seq > upTo) return last;
      conn.send(toMessageFrame(message));
      last = message.seq;
    }
    ctx.seqs.note(conversationId, last);
    await conn.drained();
  }
  return last;
}

/** `pull`: a page of a conversation after a seq, for gap repair and large groups. */
export async function handlePull(ctx: DeliveryContext, conn: Connection, frame: PullFrame) {
  if (!(await isMemberOrReport(ctx, conn, frame.conv))) return;
  const limit = frame.limit ?? Limits.maxPageSize;
  try {
    // A group member sees nothing from before they joined.
    const after = Math.max(
      frame.after,
      (await ctx.membership.joinedSeq(frame.conv, conn.userId)) - 1,
    );
    const page = await ctx.store.messagesAfter(frame.conv, after, limit);
    for (const message of page) conn.send(toMessageFrame(message));
    const upTo = page.at(-1)?.seq ?? after;
    ctx.seqs.note(frame.conv, upTo);
    conn.send({ t: "pulled", conv: frame.conv, upTo, more: page.length === limit });
  } catch (err) {
    conn.send(errorFrameFor(err));
  }
}

/**
 * Receipts that happened while the device was away. Direct conversations: the other member's
 * cursors. Groups: one aggregate per group in which the user has recent messages, never one
 * frame per member (the store names the groups that changed without reading their member rows).
 */
async function sendMissedReceipts(ctx: DeliveryContext, conn: Connection, since: number) {
  const missed = await ctx.store.receiptsSince(conn.userId, since);
  for (const r of missed.direct) {
    conn.send({
      t: "receipt",
      conv: r.conversationId,
      user: r.userId,
      delivered: r.delivered,
      read: r.read,
    });
  }
  for (const conv of missed.groups) {
    const senders = await ctx.store.recentSenders(conv, 0);
    if (!senders.some((s) => s.userId === conn.userId)) continue;
    const lowest = lowestOfOthers(await ctx.store.lowestCursors(conv), conn.userId);
    if (lowest) conn.send({ t: "group_receipt", conv, ...lowest });
  }
}
