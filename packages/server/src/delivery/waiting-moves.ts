import type { CursorMove } from "../store/store.ts";

/** How long a slot with nothing waiting is kept for its next move before it is dropped. */
const defaultIdleMs = 60_000;

/**
 * One device's place in one conversation. It outlives each wait: the next ack of the same
 * device and conversation raises the same object instead of allocating a new entry.
 */
interface Slot {
  readonly key: string;
  /** The users whose sync takes this slot's move (`takeFor`). */
  readonly users: readonly string[];
  /** The waiting move; raised in place while it waits. */
  readonly move: CursorMove;
  /** When the current wait began; -1 while nothing waits. */
  since: number;
  /** When the slot last took a move, for dropping idle slots. */
  usedAt: number;
}

/**
 * Cursor moves that wait before they are stored, coalesced per device and conversation (the
 * highest seq wins) and stored in the order their waits began.
 *
 * Allocation matters here, not only time. A direct conversation's acks wait half a second
 * (COURIER_ACK_FLUSH_MS), and anything alive that long outlives two of the event loop's minor
 * GCs and is promoted to the old generation, which only a full GC frees. When every wait made a
 * new entry (the key, the entry, a copy of the move, a Set per user, the users' array), that
 * was three quarters of what the server promoted at 10,000 msgs/s: a full GC every few
 * seconds, each a 15 – 25 ms stretch of the event loop's time in which messages queue (see
 * docs/performance.md, tenth session). So a slot and its user sets stay while the device keeps
 * acking, a wait only stamps and raises them, and the due order is a queue of (slot, stamp)
 * pairs in two arrays. A slot left idle for `idleMs` is dropped by a sweep.
 */
export class WaitingMoves {
  readonly #slots = new Map<string, Slot>();
  /** The slots that began to wait, in that order, with the `since` stamp of that wait. */
  #queue: Slot[] = [];
  #queueSince: number[] = [];
  #head = 0;
  /** The slots each user is found by: a sync takes its user's moves without walking everyone's. */
  readonly #byUser = new Map<string, Set<Slot>>();
  readonly #usersOf: ((move: CursorMove) => readonly string[]) | undefined;
  readonly #now: () => number;
  readonly #idleMs: number;
  #sweptAt: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    usersOf?: (move: CursorMove) => readonly string[],
    options: { now?: () => number; idleMs?: number } = {},
  ) {
    this.#usersOf = usersOf;
    this.#now = options.now ?? (() => performance.now());
    this.#idleMs = options.idleMs ?? defaultIdleMs;
    this.#sweptAt = this.#now();
  }

  /** Slots kept, waiting or idle (for tests). */
  get slots(): number {
    return this.#slots.size;
  }

  /** The highest seq per device and conversation wins; the wait keeps its first move's time. */
  add(move: CursorMove): void {
    const key = `${move.deviceId}\u0000${move.conversationId}`;
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = {
        key,
        users: this.#usersOf?.(move) ?? [],
        move: { conversationId: move.conversationId, userId: move.userId, deviceId: move.deviceId },
        since: -1,
        usedAt: 0,
      };
      this.#slots.set(key, slot);
      for (const user of slot.users) {
        let slots = this.#byUser.get(user);
        if (slots === undefined) {
          slots = new Set();
          this.#byUser.set(user, slots);
        }
        slots.add(slot);
      }
    }
    const waiting = slot.move;
    if (slot.since < 0) {
      slot.since = this.#now();
      waiting.delivered = move.delivered;
      waiting.read = move.read;
      this.#queue.push(slot);
      this.#queueSince.push(slot.since);
      return;
    }
    if (move.delivered !== undefined) {
      waiting.delivered = Math.max(waiting.delivered ?? 0, move.delivered);
    }
    if (move.read !== undefined) waiting.read = Math.max(waiting.read ?? 0, move.read);
  }

  /**
   * Calls `store` once the oldest move has waited `windowMs`, unless a call is scheduled
   * already. All at once, or `staggered`: only the moves that have waited that long go, and the
   * rest follow as they come due, in at most ten calls a window. A steady stream of acks then
   * makes a steady trickle of small commits, not one large commit a window that every append
   * behind it waits for.
   */
  schedule(windowMs: number, staggered: boolean, store: (moves: CursorMove[]) => void): void {
    if (this.#timer !== undefined) return;
    const oldest = this.#oldestSince();
    if (oldest === undefined) return;
    const due = oldest + windowMs - this.#now();
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        store(staggered ? this.#takeDue(this.#now() - windowMs) : this.take());
        this.#sweep();
        this.schedule(windowMs, staggered, store);
      },
      Math.max(staggered ? windowMs / 10 : 0, due),
    );
  }

  /** Everything waiting, in the order the waits began; the scheduled call is cancelled. */
  take(): CursorMove[] {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#takeDue(Number.POSITIVE_INFINITY);
  }

  /** The moves `userId` is found by: those no longer wait. */
  takeFor(userId: string): CursorMove[] {
    const moves: CursorMove[] = [];
    for (const slot of this.#byUser.get(userId) ?? []) {
      if (slot.since >= 0) moves.push(this.#release(slot));
    }
    return moves;
  }

  /** The moves whose wait began at or before `cutoff`, from the head of the queue. */
  #takeDue(cutoff: number): CursorMove[] {
    const moves: CursorMove[] = [];
    while (this.#head < this.#queue.length) {
      const since = this.#queueSince[this.#head] as number;
      if (since > cutoff) break;
      const slot = this.#queue[this.#head] as Slot;
      this.#head++;
      // A slot taken out of turn (takeFor) may wait again by now, under a later stamp.
      if (slot.since === since) moves.push(this.#release(slot));
    }
    this.#compact();
    return moves;
  }

  /** The `since` of the first queued wait still current. */
  #oldestSince(): number | undefined {
    while (this.#head < this.#queue.length) {
      const since = this.#queueSince[this.#head] as number;
      if ((this.#queue[this.#head] as Slot).since === since) return since;
      this.#head++;
    }
    this.#compact();
    return undefined;
  }

  /** Ends the slot's wait and returns a copy of its move, which the store call may keep. */
  #release(slot: Slot): CursorMove {
    const { conversationId, userId, deviceId, delivered, read } = slot.move;
    slot.since = -1;
    slot.usedAt = this.#now();
    const move: CursorMove = { conversationId, userId, deviceId };
    if (delivered !== undefined) move.delivered = delivered;
    if (read !== undefined) move.read = read;
    return move;
  }

  /** Drops the queue's consumed head once it is most of the queue. */
  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueSince.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#queueSince = this.#queueSince.slice(this.#head);
      this.#head = 0;
    }
  }

  /** At most twice an `idleMs`: drops the slots that have not waited for `idleMs`. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#sweptAt < this.#idleMs / 2) return;
    this.#sweptAt = now;
    for (const slot of this.#slots.values()) {
      if (slot.since >= 0 || now - slot.usedAt < this.#idleMs) continue;
      this.#slots.delete(slot.key);
      for (const user of slot.users) {
        const slots = this.#byUser.get(user);
        slots?.delete(slot);
        if (slots?.size === 0) this.#byUser.delete(user);
      }
    }
  }
}
