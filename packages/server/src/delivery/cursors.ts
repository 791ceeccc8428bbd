import { directMembers, type ReceiptFrame } from "@courier/protocol";
import type { CursorMove, MemberCursor } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";
import type { GroupReceipts } from "./group-receipts.ts";
import { isDirect } from "./membership.ts";
import { WaitingMoves } from "./waiting-moves.ts";

/**
 * Steps 4–5: device acks and reads are cursor moves. Moves are coalesced (the highest seq per
 * device and conversation wins) over COURIER_CURSOR_FLUSH_MS (10 ms) and written as one batch;
 * only member cursors that actually advanced become `receipt` frames, sent to every member's
 * devices (the mover's own device excepted). A thousand acks are one store call, not a thousand.
 * In direct conversations the receipt goes out before the batch is committed (see #announceEarly).
 *
 * A direct conversation's plain acks (no read) wait longer, COURIER_ACK_FLUSH_MS (500 ms on a
 * single node): a device acks every message it gets, and one that gets ten a second then costs
 * one row update per flush instead of ten, each on its own scattered page of the store. Nothing
 * but a sync reads those cursors before they are stored (the receipts went out already), and
 * every sync first stores the waiting acks of its user's conversations (`settle`). A crash
 * loses at most that window of acks: the device then gets those messages again, and drops them
 * as doubles by id.
 *
 * In groups, a member's own devices still get their `receipt` (read state syncs across devices),
 * and the others hear of it through the aggregated, throttled `group_receipt` (group-receipts.ts).
 */
/** Announced cursors remembered at most before the memory is dropped (a drop only re-announces). */
const announcedCapacity = 200_000;
/**
 * Cursor moves per store call (see #storeAll): small enough that a store call takes a few
 * milliseconds, since the embedded writer lets a message append in between two of them.
 */
const movesPerStoreCall = 100;

export class CursorBatcher {
  readonly #ctx: DeliveryContext;
  /** This tick's moves, for the early receipts of direct conversations. */
  #tick: CursorMove[] = [];
  #tickScheduled = false;
  /** Moves not stored yet, stored after COURIER_CURSOR_FLUSH_MS. */
  readonly #pending = new WaitingMoves();
  /**
   * Plain acks of direct conversations not stored yet, stored after COURIER_ACK_FLUSH_MS; found
   * by either member of their conversation, for `settle`.
   */
  readonly #acks = new WaitingMoves((move) => directMembers(move.conversationId) ?? []);
  /** Relay mode: conversations to prune after the current batch. */
  readonly #toPrune = new Set<string>();
  #pruning = false;
  /** When #expireKeys last ran, ms. */
  #keysExpiredAt = 0;

  readonly #groups: GroupReceipts | undefined;
  /** Direct conversations: the member cursors last announced, so each advance goes out once. */
  readonly #announced = new Map<string, { delivered: number; read: number }>();

  constructor(ctx: DeliveryContext, groups?: GroupReceipts) {
    this.#ctx = ctx;
    this.#groups = groups;
  }

  move(move: CursorMove): void {
    this.#tick.push(move);
    const { config } = this.#ctx;
    const lazy =
      move.read === undefined &&
      config.ackFlushMs > config.cursorFlushMs &&
      isDirect(move.conversationId);
    (lazy ? this.#acks : this.#pending).add(move);
    if (!this.#tickScheduled) {
      this.#tickScheduled = true;
      setImmediate(() => this.#flushTick());
    }
  }

  /**
   * Stores the moves still waiting that a sync of `userId`'s device could read, and resolves
   * once the store has them: a sync calls it before it reads the device's cursors and the
   * receipts it missed, so that it never reads what an ack waiting here has already moved past.
   * Waiting acks of other users' conversations keep waiting (a direct conversation's id names
   * both its members), so that devices connecting all the time do not end the window for
   * everyone. Without `userId` (a resync of every connection, shutdown): everything.
   */
  async settle(userId?: string): Promise<void> {
    const acks = userId === undefined ? this.#acks.take() : this.#acks.takeFor(userId);
    await Promise.all([this.#storeAll(this.#pending.take()), this.#storeAll(acks)]);
  }

  /** Shutdown: stores the moves still waiting for a store timer. */
  close(): Promise<void> {
    return this.settle();
  }

  #flushTick(): void {
    this.#tickScheduled = false;
    const moves = this.#tick;
    this.#tick = [];
    // An ack means the device has stored the messages, so its receipt is true before the cursor
    // is written: announce it now and keep the fsync of the cursor batch out of the round trip.
    this.#announceEarly(moves, moversOf(moves)).catch((err: unknown) =>
      this.#ctx.log.warn({ err }, "early receipts failed"),
    );
    // The store write waits up to COURIER_CURSOR_FLUSH_MS: acks that trickle in over many ticks
    // (a large group's members, each acking when the message reaches it) then make one store
    // call and one commit instead of one per tick. Nobody waits for it: direct receipts went
    // out above, group receipts are summed up every 200 ms anyway. Plain direct acks wait
    // COURIER_ACK_FLUSH_MS (see the class comment).
    const { config } = this.#ctx;
    const store = (moves: CursorMove[]) => void this.#storeAll(moves);
    this.#pending.schedule(config.cursorFlushMs, false, store);
    this.#acks.schedule(config.ackFlushMs, true, store);
  }

  async #storeAll(moves: CursorMove[]): Promise<void> {
    if (moves.length === 0) return;
    const movers = moversOf(moves);
    // In chunks: the store can then let a message append in between the chunks of a flood of
    // acks (a large group acking one message) instead of behind all of it.
    const stored: Promise<void>[] = [];
    for (let i = 0; i < moves.length; i += movesPerStoreCall) {
      stored.push(this.#store(moves.slice(i, i + movesPerStoreCall), movers));
    }
    await Promise.all(stored);
  }

  #store(moves: CursorMove[], movers: Map<string, string>): Promise<void> {
    return this.#ctx.store.moveCursors(moves).then(
      async (advanced) => {
        // The store's view also holds other devices' and nodes' moves, and clamps to the log.
        await this.#announce(
          advanced.filter((c) => this.#beyondAnnounced(c)),
          movers,
        );
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

  /**
   * Direct conversations: the member cursors these moves imply, announced at once. Each is
   * bounded by the highest seq this node has seen in the conversation, so a device cannot claim
   * messages that do not exist; the store's answer, which clamps properly, follows.
   */
  async #announceEarly(moves: CursorMove[], movers: Map<string, string>): Promise<void> {
    const implied = new Map<string, MemberCursor>();
    for (const move of moves) {
      if (!isDirect(move.conversationId)) continue;
      const limit = this.#ctx.seqs.highest(move.conversationId);
      const key = `${move.userId}\u0000${move.conversationId}`;
      const cursor = implied.get(key) ?? {
        conversationId: move.conversationId,
        userId: move.userId,
        delivered: 0,
        read: 0,
      };
      cursor.delivered = Math.max(cursor.delivered, Math.min(move.delivered ?? 0, limit));
      cursor.read = Math.max(cursor.read, Math.min(move.read ?? 0, limit));
      implied.set(key, cursor);
    }
    const fresh = [...implied.values()].filter((c) => this.#beyondAnnounced(c));
    if (fresh.length > 0) await this.#announce(fresh, movers);
  }

  /** Whether the cursor goes past what was announced for it; if so it becomes the announced one. */
  #beyondAnnounced(cursor: MemberCursor): boolean {
    if (!isDirect(cursor.conversationId)) return true;
    const key = `${cursor.userId}\u0000${cursor.conversationId}`;
    const known = this.#announced.get(key);
    const delivered = Math.max(known?.delivered ?? 0, cursor.delivered);
    const read = Math.max(known?.read ?? 0, cursor.read);
    if (delivered === 0 && read === 0) return false;
    if (known && delivered === known.delivered && read === known.read) return false;
    if (known) {
      // In place: the map is old, and a new object each receipt would be promoted with it.
      known.delivered = delivered;
      known.read = read;
    } else {
      if (this.#announced.size >= announcedCapacity) this.#announced.clear();
      this.#announced.set(key, { delivered, read });
    }
    cursor.delivered = delivered;
    cursor.read = read;
    return true;
  }

  async #announce(advanced: MemberCursor[], movers: Map<string, string>): Promise<void> {
    for (const cursor of advanced) {
      const direct = isDirect(cursor.conversationId);
      const { membership } = this.#ctx;
      const members = direct
        ? (membership.peek(cursor.conversationId)?.ids ??
          (await membership.membersOf(cursor.conversationId)))
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

  /**
   * Relay mode keeps the idempotency key of each pruned message (who sent what id when, no
   * content) so that a late retry is a duplicate; past COURIER_DEDUPE_DAYS the keys go too, or
   * the metadata of every delivered message would stay forever. Piggybacks on pruning, at most
   * once a minute (or once per window, if shorter), in bounded store calls.
   */
  async #expireKeys(): Promise<void> {
    const window = this.#ctx.config.dedupeWindowMs;
    const now = Date.now();
    if (now - this.#keysExpiredAt < Math.min(60_000, window)) return;
    this.#keysExpiredAt = now;
    // A full chunk means more may be waiting (the window was shortened, or the server was
    // down): the next one at once.
    for (let n = keysPerExpiry; n === keysPerExpiry; ) {
      n = await this.#ctx.store.expireSentCids(now - window, keysPerExpiry);
      this.#ctx.metrics.keysExpired.inc(n);
    }
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
      await this.#expireKeys();
    } catch (err) {
      this.#ctx.log.warn({ err }, "relay prune failed; retried after the next receipt");
    } finally {
      this.#pruning = false;
    }
  }
}

/** Idempotency keys forgotten per store call (see CursorBatcher.#expireKeys). */
const keysPerExpiry = 10_000;

/** Per (user, conversation): the device that moved, whose own `receipt` it does not need. */
function moversOf(moves: CursorMove[]): Map<string, string> {
  return new Map(moves.map((m) => [`${m.userId}\u0000${m.conversationId}`, m.deviceId]));
}
