import type { ReceiptFrame } from "@courier/protocol";
import type { CursorMove, MemberCursor } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";
import type { GroupReceipts } from "./group-receipts.ts";
import { isDirect } from "./membership.ts";

/**
 * Steps 4–5: device acks and reads are cursor moves. Moves that arrive in the same tick are
 * coalesced (the highest seq per device and conversation wins) and written as one batch; only
 * member cursors that actually advanced become `receipt` frames, sent to every member's devices
 * (the mover's own device excepted). A thousand acks in a tick are one store call, not a thousand.
 * In groups, a member's own devices still get their `receipt` (read state syncs across devices),
 * and the others hear of it through the aggregated, throttled `group_receipt` (group-receipts.ts).
 */
export class CursorBatcher {
  readonly #ctx: DeliveryContext;
  #pending = new Map<string, CursorMove>();
  #scheduled = false;
  /** Relay mode: conversations to prune after the current batch. */
  readonly #toPrune = new Set<string>();
  #pruning = false;

  readonly #groups: GroupReceipts | undefined;

  constructor(ctx: DeliveryContext, groups?: GroupReceipts) {
    this.#ctx = ctx;
    this.#groups = groups;
  }

  move(move: CursorMove): void {
    const key = `${move.deviceId}\u0000${move.conversationId}`;
    const existing = this.#pending.get(key);
    if (existing) {
      if (move.delivered !== undefined)
        existing.delivered = Math.max(existing.delivered ?? 0, move.delivered);
      if (move.read !== undefined) existing.read = Math.max(existing.read ?? 0, move.read);
    } else {
      this.#pending.set(key, { ...move });
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const moves = [...this.#pending.values()];
    this.#pending = new Map();
    const movers = new Map(moves.map((m) => [`${m.userId}\u0000${m.conversationId}`, m.deviceId]));
    this.#ctx.store.moveCursors(moves).then(
      async (advanced) => {
        await this.#announce(advanced, movers);
        // Relay: any device's move can be the last one a message waited for, even one that
        // leaves the member cursor where another device of the same user already put it.
        if (this.#ctx.config.retention === "relay") {
          for (const move of moves) this.#toPrune.add(move.conversationId);
          if (!this.#pruning) await this.#prune();
        }
      },
      // A lost move only means the device may see those messages again on its next sync,
      // where it drops them as doubles and acks again.
      (err: unknown) => this.#ctx.log.warn({ err, moves: moves.length }, "cursor batch failed"),
    );
  }

  async #announce(advanced: MemberCursor[], movers: Map<string, string>): Promise<void> {
    for (const cursor of advanced) {
      const direct = isDirect(cursor.conversationId);
      const members = direct
        ? await this.#ctx.membership.membersOf(cursor.conversationId)
        : [cursor.userId];
      if (!members) continue;
      if (!direct) this.#groups?.touched(cursor.conversationId);
      const frame: ReceiptFrame = {
        t: "receipt",
        conv: cursor.conversationId,
        user: cursor.userId,
        delivered: cursor.delivered,
        read: cursor.read,
      };
      const exceptDevice = movers.get(`${cursor.userId}\u0000${cursor.conversationId}`);
      for (const member of members) {
        this.#ctx.router.toUser(member, exceptDevice ? { frame, exceptDevice } : { frame });
      }
    }
    this.#ctx.metrics.receipts.inc(advanced.length);
  }

  /** One prune pass at a time; conversations touched meanwhile wait for the next pass. */
  async #prune(): Promise<void> {
    this.#pruning = true;
    try {
      while (this.#toPrune.size > 0) {
        const conversations = [...this.#toPrune];
        this.#toPrune.clear();
        const counts = await Promise.all(
          conversations.map((c) => this.#ctx.store.pruneDelivered(c)),
        );
        this.#ctx.metrics.messagesPruned.inc(counts.reduce((a, b) => a + b, 0));
      }
    } catch (err) {
      this.#ctx.log.warn({ err }, "relay prune failed; retried after the next receipt");
    } finally {
      this.#pruning = false;
    }
  }
}
