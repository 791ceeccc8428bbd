import type { GroupReceiptFrame } from "@courier/protocol";
import type { GroupStore, MemberCursor } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";

/**
 * Aggregated receipts for groups. When members' cursors move in a group, the group is marked;
 * at most once per `groupReceiptIntervalMs` it is summed up: for each member with recent
 * messages, the lowest delivered and read cursors among the *other* members. Those that changed
 * go to that member as one `group_receipt`. So a thousand members reading a message costs one
 * cursor batch in the store (see CursorBatcher) and one frame per recent sender, not a thousand.
 */
export class GroupReceipts {
  readonly #ctx: DeliveryContext;
  readonly #store: GroupStore;
  readonly #dirty = new Set<string>();
  /** Per group, per sender: the last [delivered, read] sent, so only changes go out. */
  readonly #sent = new Map<string, Map<string, [number, number]>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: DeliveryContext, store: GroupStore) {
    this.#ctx = ctx;
    this.#store = store;
  }

  touched(conversationId: string): void {
    this.#dirty.add(conversationId);
    this.#timer ??= setTimeout(() => this.#flush(), this.#ctx.config.groupReceiptIntervalMs);
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  #flush(): void {
    this.#timer = undefined;
    const groups = [...this.#dirty];
    this.#dirty.clear();
    for (const conversationId of groups) {
      this.#summarise(conversationId).catch((err: unknown) => {
        this.#ctx.log.warn({ err, conversationId }, "group receipts failed");
      });
    }
  }

  async #summarise(conversationId: string): Promise<void> {
    const cursors = await this.#store.memberCursors(conversationId);
    if (cursors.length < 2) return;
    // Every sender of the recent messages (the store bounds the window), not only those above
    // the lowest read cursor: that one can be the sender's own, already past their last message
    // (they read a later reply), while the others have only just read it.
    const senders = await this.#store.recentSenders(conversationId, 0);
    let sent = this.#sent.get(conversationId);
    if (!sent) {
      sent = new Map();
      this.#sent.set(conversationId, sent);
    }
    for (const { userId } of senders) {
      const lowest = lowestOfOthers(cursors, userId);
      if (!lowest) continue;
      const { delivered, read } = lowest;
      const last = sent.get(userId);
      if (last && last[0] >= delivered && last[1] >= read) continue;
      sent.set(userId, [delivered, read]);
      const frame: GroupReceiptFrame = {
        t: "group_receipt",
        conv: conversationId,
        delivered,
        read,
      };
      this.#ctx.router.toUser(userId, { frame });
    }
  }
}

/** The lowest delivered and read cursors among the members other than `userId`. */
export function lowestOfOthers(
  cursors: MemberCursor[],
  userId: string,
): { delivered: number; read: number } | undefined {
  let delivered = Number.MAX_SAFE_INTEGER;
  let read = Number.MAX_SAFE_INTEGER;
  let others = 0;
  for (const c of cursors) {
    if (c.userId === userId) continue;
    others += 1;
    delivered = Math.min(delivered, c.delivered);
    read = Math.min(read, c.read);
  }
  return others === 0 ? undefined : { delivered, read };
}
