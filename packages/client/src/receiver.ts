import {
  type GroupReceiptFrame,
  isDirectConversation as isDirect,
  type MessageFrame,
  type ReceiptFrame,
  type ServerFrame,
} from "@courier/protocol";
import type { FrameBatcher } from "./batcher.ts";
import type { Emitter } from "./emitter.ts";
import { Inbox } from "./inbox.ts";
import type { Outbox } from "./outbox.ts";
import { ReceiptTracker } from "./receipts.ts";
import type { ClientStorage, ConversationCursors } from "./storage.ts";
import { type ClientEvents, CourierError, type LocalMessage, statusRank } from "./types.ts";

/** How long a group's ack waits unless ReceiverOptions.groupAckDelayMs says otherwise, ms. */
export const defaultGroupAckDelayMs = 100;

export interface ReceiverOptions {
  storage: ClientStorage;
  outbox: Outbox;
  batcher: FrameBatcher;
  events: Emitter<ClientEvents>;
  /** My user id. */
  me: string;
  /** Drops the connection (after a failed write: the server resends what was not acked). */
  restart: (reason: string) => void;
  /**
   * How long a group's ack may wait, ms (direct conversations ack at once). The sender hears of
   * a group's deliveries through an aggregate the server sends at most every 200 ms anyway, so
   * waiting costs no visible time; it turns a busy group's acks into one cumulative ack, and
   * keeps a large group's members' acks out of the moment its message is being delivered.
   */
  groupAckDelayMs?: number;
}

/** An item in the per-conversation order: a received message, or the seq of one of mine. */
type Item = LocalMessage | typeof own;
const own = Symbol("own seq");

type Event = { [K in keyof ClientEvents]: [K, ClientEvents[K]] }[keyof ClientEvents];

/**
 * The receive pipeline: turns server frames into stored messages, status changes, acks and
 * events. Frames are processed in arrival order, one round at a time; frames that arrive while
 * a round's storage write is in flight form the next round, so a burst costs one write.
 *
 * Per round: decide everything in memory (order, gaps, duplicates, outbox answers, receipts),
 * write it in one atomic storage batch, and only then ack and emit. A device therefore acks
 * only what is stored, and events never announce what a crash could lose.
 */
export class Receiver {
  readonly #o: ReceiverOptions;
  readonly #inbox: Inbox<Item>;
  readonly #receipts = new ReceiptTracker();
  /** The cursors as last written, per conversation. */
  readonly #cursors = new Map<string, ConversationCursors>();
  /** Restored conversations whose messages from earlier sessions are not loaded yet. */
  readonly #unhydrated = new Set<string>();
  /** My own read cursor per conversation, in memory (persisted with the cursors). */
  readonly #read = new Map<string, number>();
  #queue: ServerFrame[] = [];
  /** Groups whose ack waits for the group ack timer. */
  readonly #groupAcks = new Set<string>();
  #groupAckTimer: ReturnType<typeof setTimeout> | undefined;
  #busy = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};

  constructor(options: ReceiverOptions) {
    this.#o = options;
    this.#inbox = new Inbox((conv, after) =>
      options.batcher.pushKeyed(`pull:${conv}`, { t: "pull", conv, after }),
    );
  }

  /** Restores the stored cursors (startup, before any frame). */
  restore(cursors: ConversationCursors[]): void {
    for (const c of cursors) {
      this.#cursors.set(c.conv, c);
      this.#inbox.start(c.conv, c.stored);
      this.#receipts.apply(c.conv, c.peerDelivered, c.peerRead);
      this.#read.set(c.conv, c.read);
      if (c.stored > c.peerRead) this.#unhydrated.add(c.conv);
    }
  }

  /** The cursors this device knows for `conv`. */
  cursors(conv: string): ConversationCursors {
    const peer = this.#receipts.cursors(conv);
    return {
      conv,
      stored: this.#inbox.accepted(conv),
      read: this.#read.get(conv) ?? 0,
      peerDelivered: peer.delivered,
      peerRead: peer.read,
    };
  }

  /**
   * Moves my read cursor forward and persists it. Returns false if `seq` is not above it.
   * The write is called synchronously, so it stays ordered with the pipeline's own writes.
   */
  markRead(conv: string, seq: number): boolean {
    if (seq <= (this.#read.get(conv) ?? 0)) return false;
    this.#read.set(conv, seq);
    const cursors = this.cursors(conv);
    this.#cursors.set(conv, cursors);
    this.#o.storage.write({ cursors: [cursors] }).catch((e: unknown) => this.#storageError(e));
    return true;
  }

  /** After `ready`: pulls that died with the old socket are asked again. */
  reconnected(): void {
    this.#inbox.repull();
  }

  /** Resolves when every frame pushed so far is processed (tests, orderly shutdown). */
  idle(): Promise<void> {
    return this.#busy ? this.#idle : Promise.resolve();
  }

  /** Takes the frames of one server message. Typing and presence are emitted at once. */
  push(frames: ServerFrame[]): void {
    for (const frame of frames) {
      switch (frame.t) {
        case "typing":
          this.#o.events.emit("typing", frame);
          break;
        case "presence":
          this.#o.events.emit("presence", frame);
          break;
        case "pong":
        case "ready":
          break;
        default:
          this.#queue.push(frame);
      }
    }
    // #run never rejects: a failed round is reported and recovered inside it.
    if (!this.#busy && this.#queue.length > 0) void this.#run();
  }

  async #run(): Promise<void> {
    this.#busy = true;
    this.#idle = new Promise((resolve) => {
      this.#markIdle = resolve;
    });
    try {
      while (this.#queue.length > 0) {
        const round = this.#queue;
        this.#queue = [];
        try {
          await this.#round(round);
        } catch (error) {
          // Only a storage read (hydration) can throw here; nothing of the round was applied,
          // so reconnecting makes the server send it again.
          this.#storageError(error);
          this.#o.restart("storage read failed");
        }
      }
    } finally {
      this.#busy = false;
      this.#markIdle();
    }
  }

  async #round(frames: ServerFrame[]): Promise<void> {
    const me = this.#o.me;
    const events: Event[] = [];
    const messages: LocalMessage[] = [];
    const outboxDelete: string[] = [];
    const taken: LocalMessage[] = [];
    const touched = new Set<string>();
    const ack = new Set<string>();

    // Receipts for conversations with messages of mine from earlier sessions need those loaded
    // first; this is the only read, and only once per conversation per session.
    for (const f of frames) {
      if (appliesToMine(f, me) && this.#unhydrated.has(f.conv)) {
        await this.#hydrate(f.conv, messages, events);
      }
    }

    const release = (items: readonly Item[]) => {
      for (const item of items) {
        if (item === own) continue;
        // Mine from another device: its ticks follow the receipts like those sent from here.
        const message = item.from === me ? this.#receipts.add(item) : item;
        messages.push(message);
        events.push(["message", message]);
      }
    };
    // The server's answer names the conversation; for a `{to}` send it is the one the SDK
    // derived, but the server's word is what later frames will use.
    const stored = (
      pending: LocalMessage,
      f: { conv: string; id: string; seq: number; ts: number },
    ) => {
      taken.push(pending);
      const message = this.#receipts.add({
        conv: f.conv,
        cid: pending.cid,
        id: f.id,
        seq: f.seq,
        from: pending.from,
        ts: f.ts,
        content: pending.content,
        status: "sent",
      });
      messages.push(message);
      outboxDelete.push(pending.cid);
      events.push(["status", message]);
      touched.add(f.conv);
      release(this.#inbox.offer(f.conv, f.seq, own));
    };

    for (const f of frames) {
      switch (f.t) {
        case "msg": {
          touched.add(f.conv);
          ack.add(f.conv);
          if (f.from === me) {
            const pending = this.#o.outbox.take(f.cid);
            if (pending !== undefined) {
              stored(pending, f);
              break;
            }
          }
          release(this.#inbox.offer(f.conv, f.seq, this.#toLocal(f)));
          break;
        }
        case "sent": {
          const pending = this.#o.outbox.take(f.cid);
          if (pending !== undefined) stored(pending, f);
          break;
        }
        case "pulled":
          touched.add(f.conv);
          ack.add(f.conv);
          release(this.#inbox.pulled(f.conv, f.upTo, f.more));
          break;
        case "receipt":
          touched.add(f.conv);
          if (f.user === me) {
            if (f.read > (this.#read.get(f.conv) ?? 0)) this.#read.set(f.conv, f.read);
          } else if (isDirect(f.conv)) {
            // In a group one member's cursor says nothing about the others: group_receipt does.
            this.#applyReceipt(f.conv, f.delivered, f.read, messages, events);
          }
          events.push(["receipt", f]);
          break;
        case "group_receipt":
          touched.add(f.conv);
          this.#applyReceipt(f.conv, f.delivered, f.read, messages, events);
          events.push(["group_receipt", f]);
          break;
        case "notify":
          this.#inbox.notify(f.conv, f.seq);
          break;
        case "error":
          if (f.ref !== undefined) this.#o.outbox.refused(f.ref, f.code);
          events.push([
            "error",
            new CourierError(f.code, f.message, f.ref === undefined ? {} : { ref: f.ref }),
          ]);
          break;
        case "synced":
          events.push(["synced", undefined]);
          break;
      }
    }

    const cursors: ConversationCursors[] = [];
    for (const conv of touched) {
      const next = this.cursors(conv);
      const prev = this.#cursors.get(conv);
      if (
        prev === undefined ||
        prev.stored !== next.stored ||
        prev.read !== next.read ||
        prev.peerDelivered !== next.peerDelivered ||
        prev.peerRead !== next.peerRead
      ) {
        cursors.push(next);
      }
    }

    if (messages.length > 0 || cursors.length > 0 || outboxDelete.length > 0) {
      try {
        await this.#o.storage.write({ messages, cursors, outboxDelete });
      } catch (error) {
        // Nothing of this round is durable: forget it, and let the server send it again.
        for (const conv of touched) {
          this.#inbox.rewind(conv, this.#cursors.get(conv)?.stored ?? 0);
        }
        this.#o.outbox.restore(taken);
        this.#storageError(error);
        this.#o.restart("storage write failed");
        return;
      }
      for (const c of cursors) this.#cursors.set(c.conv, c);
    }

    const delay = this.#o.groupAckDelayMs ?? defaultGroupAckDelayMs;
    for (const conv of ack) {
      if (delay > 0 && !isDirect(conv)) {
        this.#groupAcks.add(conv);
        this.#groupAckTimer ??= setTimeout(() => this.#ackGroups(), delay);
      } else this.#ack(conv);
    }
    const emitter = this.#o.events;
    for (const [name, value] of events) emitter.emit(name, value as never);
  }

  /** Acks what is stored now: cumulative, so a later ack covers every earlier one. */
  #ack(conv: string): void {
    const seq = this.#inbox.accepted(conv);
    if (seq > 0) this.#o.batcher.pushKeyed(`ack:${conv}`, { t: "ack", conv, seq });
  }

  #ackGroups(): void {
    this.#groupAckTimer = undefined;
    for (const conv of this.#groupAcks) this.#ack(conv);
    this.#groupAcks.clear();
  }

  #applyReceipt(
    conv: string,
    delivered: number,
    read: number,
    messages: LocalMessage[],
    events: Event[],
  ): void {
    for (const m of this.#receipts.apply(conv, delivered, read)) {
      messages.push(m);
      events.push(["status", m]);
    }
  }

  /** Loads my not-yet-read messages of `conv` stored by earlier sessions into the tracker. */
  async #hydrate(conv: string, messages: LocalMessage[], events: Event[]): Promise<void> {
    let after = this.#receipts.cursors(conv).read;
    for (;;) {
      const page = await this.#o.storage.listMessages(conv, { afterSeq: after, limit: 500 });
      for (const m of page) {
        if (m.from !== this.#o.me || statusRank[m.status] >= statusRank.read) continue;
        const tracked = this.#receipts.add(m);
        if (tracked !== m) {
          messages.push(tracked);
          events.push(["status", tracked]);
        }
      }
      const last = page[page.length - 1];
      if (page.length < 500 || last?.seq === undefined) {
        // Only now: after a failed read the conversation is loaded again next time.
        this.#unhydrated.delete(conv);
        return;
      }
      after = last.seq;
    }
  }

  #toLocal(f: MessageFrame): LocalMessage {
    return {
      conv: f.conv,
      cid: f.cid,
      id: f.id,
      seq: f.seq,
      from: f.from,
      ts: f.ts,
      content: f.content,
      status: f.from === this.#o.me ? "sent" : "received",
    };
  }

  #storageError(error: unknown): void {
    this.#o.events.emit("error", new CourierError("storage", "storage failed", { cause: error }));
  }
}

/** Whether a frame moves the ticks of my own messages. */
function appliesToMine(f: ServerFrame, me: string): f is ReceiptFrame | GroupReceiptFrame {
  return (f.t === "receipt" && f.user !== me && isDirect(f.conv)) || f.t === "group_receipt";
}
