import type { LocalMessage } from "@courier/client";

/** The delivery step an own message shows: a clock, one tick, two ticks, blue ticks, or failed. */
export type Tick = "pending" | "sent" | "delivered" | "read" | "failed";

/** The other member's cursors in a conversation (from receipts). */
export interface PeerCursors {
  delivered: number;
  read: number;
}

/**
 * The tick for one of my messages. The SDK's status and the peer's cursors are both consulted and
 * the further one wins, because cursors are cumulative: a receipt for seq 9 also covers seq 3,
 * even if the snapshot of message 3 in hand predates that receipt.
 */
export function tickOf(message: LocalMessage, peer: PeerCursors): Tick {
  if (message.status === "failed") return "failed";
  if (message.seq === undefined || message.status === "pending") return "pending";
  if (message.status === "read" || message.seq <= peer.read) return "read";
  if (message.status === "delivered" || message.seq <= peer.delivered) return "delivered";
  return "sent";
}
