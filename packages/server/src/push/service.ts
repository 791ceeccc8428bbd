import type { PrivacyLevel } from "@courier/protocol";
import type { Logger } from "pino";
import type { Store, StoredMessage } from "../store/store.ts";
import { Coalescer, type PendingNotification } from "./coalescer.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { PushMetrics } from "./metrics.ts";
import { buildPayload } from "./payload.ts";
import type { PushStore, PushSubscriptionRecord } from "./push-store.ts";

/** The devices of a user that have a live connection (on this node, or cluster-wide). */
export type ConnectedDevices = (userId: string) => Promise<Set<string>>;

export interface PushServiceDeps {
  pushStore: PushStore;
  /**
   * Answers from memory (the subscription cache) whether no member but the sender can have a
   * subscription; a message it says so of never enters the intake. Without it every message
   * is examined.
   */
  knownUnsubscribed?: (userIds: readonly string[], except: string) => boolean;
  /** The message store, for sender names and which devices are still active. */
  store: Store;
  connectedDevices: ConnectedDevices;
  dispatcher: Dispatcher;
  metrics: PushMetrics;
  log: Logger;
  /** The level of users who never chose one (content-free in relay retention). */
  defaultPrivacy: PrivacyLevel;
  coalesceMs: number;
  /** Stored messages waiting to be examined at most; beyond it they are dropped and counted. */
  maxIntake: number;
  /** Open coalescing windows at most. */
  maxPending: number;
  /** Messages examined at once (each is a few store reads). */
  concurrency: number;
  now?: () => number;
}

interface Intake {
  message: StoredMessage;
  members: string[];
}

/**
 * Decides who gets woken up. `onStored` runs on the message path, so it only asks the
 * subscription cache whether anyone could be woken at all (memory, O(members)) and, if so,
 * appends to a bounded queue; workers then find, for every member but the sender, the subscribed devices with no live
 * connection whose owner has not muted the conversation, and fold their messages into one
 * notification per (device, conversation) per coalescing window. When a window closes the device
 * is checked once more (it may have connected meanwhile: sync brings it the messages) and the
 * notification, worded for the user's privacy level, goes to the dispatcher.
 */
export class PushService {
  readonly #d: PushServiceDeps;
  readonly #now: () => number;
  readonly #coalescer: Coalescer;
  #intake: Intake[] = [];
  #workers = 0;
  /** Workers counted in #workers that start on the next turn of the event loop. */
  #starting = 0;
  /** Examinations and flushes under way (they await the stores). */
  #busy = 0;
  #closed = false;

  constructor(deps: PushServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#coalescer = new Coalescer(deps.coalesceMs, deps.maxPending, (pending) => {
      this.#busy += 1;
      this.#flush(pending)
        .catch((err: unknown) => this.#failed(err, "flush"))
        .finally(() => {
          this.#busy -= 1;
        });
    });
  }

  /** Work not yet handed to a push service: messages to examine, open windows, lookups under way. */
  get depth(): number {
    return this.#intake.length + this.#coalescer.size + this.#busy;
  }

  /** Called on the message path for every newly stored message: O(members), never waits. */
  onStored(message: StoredMessage, members: string[]): void {
    if (this.#closed) return;
    // The common case, nobody to wake: decided here, without a worker, a promise or a query.
    if (this.#d.knownUnsubscribed?.(members, message.senderId)) return;
    // Messages waiting for a worker that is about to start count as that worker's, not the
    // intake's.
    if (this.#intake.length >= this.#d.maxIntake + this.#starting) {
      this.#d.metrics.dropped.inc({ reason: "intake_full" });
      return;
    }
    this.#intake.push({ message, members });
    if (this.#workers < this.#d.concurrency) {
      this.#workers += 1;
      // Deliberately not awaited: the worker drains the intake on its own. And not started here:
      // its first lookup (the subscriptions of every member, a synchronous SQLite read on the
      // embedded store) would run before this tick's socket writes; after them, the push path
      // costs the message's delivery nothing.
      this.#starting += 1;
      setImmediate(() => {
        this.#starting -= 1;
        void this.#work();
      });
    }
  }

  close(): void {
    this.#closed = true;
    this.#intake = [];
    this.#coalescer.clear();
  }

  async #work(): Promise<void> {
    try {
      for (let next = this.#intake.shift(); next; next = this.#intake.shift()) {
        if (this.#closed) return;
        this.#busy += 1;
        await this.#examine(next).catch((err: unknown) => this.#failed(err, "examine"));
        this.#busy -= 1;
      }
    } finally {
      this.#workers -= 1;
    }
  }

  async #examine({ message, members }: Intake): Promise<void> {
    const recipients = [...new Set(members)].filter((m) => m !== message.senderId);
    const subscriptions = await this.#d.pushStore.subscriptionsOf(recipients);
    if (subscriptions.length === 0) return;
    const byUser = Map.groupBy(subscriptions, (s) => s.userId);
    const muted = await this.#d.pushStore.mutedAmong(
      message.conversationId,
      [...byUser.keys()],
      this.#now(),
    );
    for (const [userId, subs] of byUser) {
      if (muted.has(userId)) {
        this.#d.metrics.skipped.inc({ reason: "muted" }, subs.length);
        continue;
      }
      const connected = await this.#d.connectedDevices(userId);
      for (const subscription of subs) {
        if (connected.has(subscription.deviceId)) {
          this.#d.metrics.skipped.inc({ reason: "online" });
          continue;
        }
        this.#coalesce(subscription, message);
      }
    }
  }

  #coalesce(subscription: PushSubscriptionRecord, message: StoredMessage): void {
    const result = this.#coalescer.add({
      subscription,
      conversationId: message.conversationId,
      count: 1,
      seq: message.seq,
      senderId: message.senderId,
      content: message.content,
    });
    if (result === "merged") this.#d.metrics.coalesced.inc();
    if (result === "full") this.#d.metrics.dropped.inc({ reason: "coalesce_full" });
  }

  async #flush(p: PendingNotification): Promise<void> {
    if (this.#closed) return;
    const { userId, deviceId } = p.subscription;
    if ((await this.#d.connectedDevices(userId)).has(deviceId)) {
      this.#d.metrics.skipped.inc({ reason: "online" });
      return;
    }
    // A revoked device keeps no subscription: its browser must not be woken for this account.
    const devices = await this.#d.store.devicesOf(userId);
    if (!devices.some((d) => d.id === deviceId)) {
      await this.#d.pushStore.removeSubscription(deviceId);
      return;
    }
    const level =
      (await this.#d.pushStore.privacyOf([userId])).get(userId) ?? this.#d.defaultPrivacy;
    const senderName =
      level === "none" ? "" : ((await this.#d.store.userById(p.senderId))?.displayName ?? "");
    const payload = buildPayload({
      level,
      conversationId: p.conversationId,
      seq: p.seq,
      count: p.count,
      senderId: p.senderId,
      senderName: senderName || "Someone",
      content: p.content,
    });
    this.#d.dispatcher.enqueue({
      subscription: p.subscription,
      payload,
      privacy: level,
      attempt: 1,
    });
  }

  #failed(err: unknown, stage: string): void {
    // Store trouble costs a notification, never the message: it still arrives through sync.
    this.#d.metrics.dropped.inc({ reason: "error" });
    this.#d.log.warn({ err, stage }, "push work failed");
  }
}
