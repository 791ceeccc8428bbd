import type { GroupReceiptFrame } from "@courier/protocol";
import type { GroupStore, LowestCursors } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";

/**
 * Aggregated receipts for groups. When members' cursors move in a group, the group is marked;
 * at most once per `groupReceiptIntervalMs` it is summed up: for each member with recent
 * messages, the lowest delivered and read cursors among the *other* members. Those that changed
 * go to that member as one `group_receipt`. So a thousand members reading a message costs one
 * cursor batch in the store (see CursorBatcher) and one frame per recent sender, not a thousand.
 */
/** Groups whose last sent receipts are remembered at most. */
const rememberedGroups = 10_000;

export class GroupReceipts {
  readonly #ctx: DeliveryContext;
  readonly #store: GroupStore;
  readonly #dirty = new Set<string>();
  /**
   * Per group, per recent sender: the last [delivered, read] sent, so only changes go out. Holds
   * the groups summed up most recently (oldest dropped past `rememberedGroups`) and, per group,
   * only the current recent senders; a forgotten entry only means one repeated frame.
   */
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
    const cursors = await this.#store.lowestCursors(conversationId);
    if (cursors.delivered.length < 2) return;
    // Every sender of the recent messages (the store bounds the window), not only those above
    // the lowest read cursor: that one can be the sender's own, already past their last message
    // (they read a later reply), while the others have only just read it.
    const senders = await this.#store.recentSenders(conversationId, 0);
    const before = this.#sent.get(conversationId);
    const sent = new Map<string, [number, number]>();
    // Delete, then set: the map's order is the order of last use.
    this.#sent.delete(conversationId);
    this.#sent.set(conversationId, sent);
    if (this.#sent.size > rememberedGroups) {
      const oldest = this.#sent.keys().next();
      if (!oldest.done) this.#sent.delete(oldest.value);
    }
    for (const { userId } of senders) {
      const lowest = lowestOfOthers(cursors, userId);
      if (!lowest) continue;
      const { delivered, read } = lowest;
      const last = before?.get(userId);
      if (last && last[0] >= delivered && last[1] >= read) {
        sent.set(userId, last);
        continue;
      }
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
  lowest: LowestCursors,
  userId: string,
): { delivered: number; read: number } | undefined {
  // Of the two lowest, at most one is `userId`: the other is the lowest of the others.
  const delivered = lowest.delivered.find((c) => c.userId !== userId);
  const read = lowest.read.find((c) => c.userId !== userId);
  if (delivered === undefined || read === undefined) return undefined;
  return { delivered: delivered.seq, read: read.seq };
}
