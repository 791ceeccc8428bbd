import type { Logger } from "pino";
import { backoffMs } from "./retry.ts";
import type { PushJob, PushSender, SendOutcome } from "./sender.ts";

export interface DispatcherOptions {
  senders: Record<PushJob["subscription"]["kind"], PushSender>;
  /** Jobs waiting (ready or for a retry) at most; beyond it new jobs are dropped and counted. */
  maxQueued: number;
  /** Jobs being sent at once, over all senders. */
  maxInFlight: number;
  /** Tries per job, the first included. */
  maxAttempts: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** A Retry-After longer than this gives up: a wake-up that late is worthless. */
  maxRetryAfterMs: number;
  /** The push service no longer knows the address: drop the subscription. */
  onGone: (job: PushJob) => void;
  onOutcome: (job: PushJob, outcome: SendOutcome) => void;
  onDrop: (reason: "queue_full" | "gave_up") => void;
  log: Logger;
}

/**
 * The bounded send queue between the message path and the push services. `enqueue` is O(1) and
 * never waits: when the queue is full the job is dropped (a push is only a wake-up; the message
 * still arrives through sync). Jobs that became ready in the same tick go to their sender
 * together, so Expo can batch them. Temporary failures are retried with backoff or the service's
 * Retry-After, up to `maxAttempts`.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  #ready: PushJob[] = [];
  #waiting = 0;
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();
  readonly #idle = new Set<() => void>();

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Jobs queued or waiting for a retry (the bounded part). */
  get depth(): number {
    return this.#ready.length + this.#waiting;
  }

  enqueue(job: PushJob): boolean {
    if (this.#closed || this.depth >= this.#o.maxQueued) {
      this.#o.onDrop("queue_full");
      return false;
    }
    this.#ready.push(job);
    this.#schedule();
    return true;
  }

  /** Resolves once nothing is queued, waiting or in flight (tests and shutdown). */
  idle(): Promise<void> {
    if (this.depth === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting = 0;
    this.#ready = [];
    for (const sender of Object.values(this.#o.senders)) sender.close();
    this.#checkIdle();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    // Next turn of the loop: everything enqueued in this tick goes out together.
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    const room = this.#o.maxInFlight - this.#inFlight;
    if (room <= 0 || this.#ready.length === 0) return;
    const batch = this.#ready.splice(0, room);
    this.#inFlight += batch.length;
    const byKind = Map.groupBy(batch, (job) => job.subscription.kind);
    for (const [kind, jobs] of byKind) {
      this.#o.senders[kind]
        .send(jobs, this.#abort.signal)
        .then(
          (outcomes) => {
            for (const [i, job] of jobs.entries()) this.#settle(job, outcomes[i]);
          },
          (err: unknown) => {
            // Senders report failures as outcomes; a throw is a bug, and the jobs are lost.
            this.#o.log.error({ err, kind }, "push sender threw");
            for (const job of jobs) this.#settle(job, { kind: "failed", reason: "sender threw" });
          },
        )
        .finally(() => {
          this.#inFlight -= jobs.length;
          this.#schedule();
          this.#checkIdle();
        });
    }
  }

  #settle(job: PushJob, outcome: SendOutcome = { kind: "failed", reason: "no outcome" }): void {
    if (this.#closed) return;
    this.#o.onOutcome(job, outcome);
    if (outcome.kind === "gone") this.#o.onGone(job);
    if (outcome.kind !== "retry") return;
    const delay =
      outcome.afterMs ?? backoffMs(job.attempt, this.#o.retryBaseMs, this.#o.retryCapMs);
    if (job.attempt >= this.#o.maxAttempts || delay > this.#o.maxRetryAfterMs) {
      this.#o.onDrop("gave_up");
      return;
    }
    this.#waiting += 1;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#waiting -= 1;
      this.#ready.push({ ...job, attempt: job.attempt + 1 });
      this.#schedule();
    }, delay);
    this.#timers.add(timer);
  }

  #checkIdle(): void {
    if (this.depth !== 0 || this.#inFlight !== 0) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }
}
