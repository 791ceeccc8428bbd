import { type LocalMessage, type MessageStatus, statusRank } from "./types.ts";

/**
 * Applies receipt cursors to my own stored messages, per conversation. Receipts are cumulative
 * cursors, so each conversation keeps its own not-yet-read messages sorted by seq and two
 * positions that only move forward: applying a receipt costs O(messages it changes), never a
 * scan. Messages leave once read.
 *
 * The cursors are "the other members'": the peer's `receipt` in a direct conversation, the
 * aggregated `group_receipt` (lowest over the other members) in a group.
 */
export class ReceiptTracker {
  readonly #convs = new Map<string, OwnMessages>();

  /** The peer cursors known for `conv` (0 when none). */
  cursors(conv: string): { delivered: number; read: number } {
    const own = this.#convs.get(conv);
    return own === undefined ? zero : { delivered: own.delivered, read: own.read };
  }

  /**
   * Starts tracking one of my messages (it has a seq). Returns it with the status the known
   * cursors give it (a receipt can precede the `sent` it covers, e.g. after a reconnect).
   */
  add(message: LocalMessage): LocalMessage {
    const own = this.#own(message.conv);
    const seq = message.seq as number;
    const status = statusFor(seq, own, message.status);
    const tracked = status === message.status ? message : { ...message, status };
    if (status === "read") return tracked;
    const list = own.list;
    // Almost always an append: own messages get seqs in send order.
    let i = list.length;
    while (i > own.readHead && (list[i - 1]?.seq as number) > seq) i--;
    if (i > own.readHead && list[i - 1]?.seq === seq) {
      list[i - 1] = tracked;
      return tracked;
    }
    list.splice(i, 0, tracked);
    // Below the delivered position only delivered messages can be inserted (their seq is under
    // the delivered cursor); at it, a delivered one extends the delivered prefix.
    if (i < own.deliveredHead || (i === own.deliveredHead && status === "delivered")) {
      own.deliveredHead++;
    }
    return tracked;
  }

  /**
   * Moves the peer cursors forward (lower values are ignored). Returns the messages whose status
   * changed, as new snapshots, in seq order.
   */
  apply(conv: string, delivered: number, read: number): LocalMessage[] {
    const own = this.#own(conv);
    if (delivered > own.delivered) own.delivered = delivered;
    if (read > own.read) own.read = read;
    if (own.read > own.delivered) own.delivered = own.read;
    const changed: LocalMessage[] = [];
    const list = own.list;
    while (own.readHead < list.length && (list[own.readHead]?.seq as number) <= own.read) {
      const m = list[own.readHead] as LocalMessage;
      list[own.readHead] = undefined as unknown as LocalMessage; // let it be collected
      own.readHead++;
      if (m.status !== "read") changed.push({ ...m, status: "read" });
    }
    if (own.deliveredHead < own.readHead) own.deliveredHead = own.readHead;
    while (
      own.deliveredHead < list.length &&
      (list[own.deliveredHead]?.seq as number) <= own.delivered
    ) {
      const m = list[own.deliveredHead] as LocalMessage;
      if (statusRank[m.status] < statusRank.delivered) {
        const next: LocalMessage = { ...m, status: "delivered" };
        list[own.deliveredHead] = next;
        changed.push(next);
      }
      own.deliveredHead++;
    }
    // Compact once the read prefix dominates, so memory follows unread messages only.
    if (own.readHead > 256 && own.readHead * 2 > list.length) {
      own.list = list.slice(own.readHead);
      own.deliveredHead -= own.readHead;
      own.readHead = 0;
    }
    return changed;
  }

  /** Number of my messages not yet read, in `conv` (tests, metrics). */
  unreadCount(conv: string): number {
    const own = this.#convs.get(conv);
    return own === undefined ? 0 : own.list.length - own.readHead;
  }

  #own(conv: string): OwnMessages {
    let own = this.#convs.get(conv);
    if (own === undefined) {
      own = { list: [], readHead: 0, deliveredHead: 0, delivered: 0, read: 0 };
      this.#convs.set(conv, own);
    }
    return own;
  }
}

interface OwnMessages {
  /** My messages by ascending seq; entries before `readHead` are read (and cleared). */
  list: LocalMessage[];
  readHead: number;
  /** Entries before it are delivered (or read). */
  deliveredHead: number;
  delivered: number;
  read: number;
}

const zero = { delivered: 0, read: 0 } as const;

function statusFor(
  seq: number,
  cursors: { delivered: number; read: number },
  current: MessageStatus,
): MessageStatus {
  const byCursor: MessageStatus =
    seq <= cursors.read ? "read" : seq <= cursors.delivered ? "delivered" : "sent";
  return statusRank[byCursor] > statusRank[current] ? byCursor : current;
}
