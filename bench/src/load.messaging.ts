import type { BenchPair, BenchSession } from "./accounts.ts";
import type { Driver, Peer } from "./driver.ts";
import type { FromWorker, ToWorker, WorkerResult } from "./ipc.ts";
import { openAll } from "./opener.ts";
import { Samples } from "./samples.ts";
import { SeqSet } from "./seq-set.ts";

type Setup = Extract<ToWorker, { type: "messaging" }>;
type Start = Extract<ToWorker, { type: "start" }>;

interface PairState {
  conv: string;
  /** Set once every client is open (`start`). */
  sender: Peer;
  inflight: number;
  submitted: number;
  /** Seqs the receiver has seen: a second arrival is a double. */
  seen: SeqSet;
}

/** Open loop: a pair with this many messages unanswered skips its turn instead of piling up. */
const maxInflightPerPair = 1000;

/**
 * Messaging scenario, one worker's share of the pairs. Closed loop: every sender keeps `window`
 * messages in flight, sending the next one the moment a delivered receipt comes back. Open loop
 * (`rate` > 0): sends are paced on a 1 ms timer, round-robin over the pairs, and each round trip
 * is timed from the moment the schedule said to send (so a stalled generator or server shows up
 * as latency rather than hiding as coordinated omission).
 */
export class MessagingLoad {
  readonly #setup: Setup;
  readonly #post: (m: FromWorker) => void;
  readonly #pairs: PairState[] = [];
  readonly #peers: Peer[];
  readonly #text: string;
  readonly #latencies = new Samples();
  /** When each of `#latencies` was sent, after `#from` (for the tail's episodes). */
  readonly #sent = new Samples();
  readonly #errors: Record<string, number> = {};
  #from = Number.POSITIVE_INFINITY;
  #to = Number.POSITIVE_INFINITY;
  #sending = false;
  #acked = 0;
  #delivered = 0;
  #received = 0;
  #doubles = 0;
  #measured = 0;
  #skipped = 0;
  #cpuAtFrom: NodeJS.CpuUsage | undefined;
  #cpuSeconds = 0;

  constructor(driver: Driver, setup: Setup, post: (m: FromWorker) => void) {
    this.#setup = setup;
    this.#post = post;
    this.#text = "x".repeat(setup.size);
    const sessions: BenchSession[] = [];
    for (const pair of setup.pairs) sessions.push(pair.sender, pair.receiver);
    this.#peers = openAll(
      driver,
      sessions,
      (index) => {
        const pairIndex = index >> 1;
        const error = (code: string) => {
          this.#errors[code] = (this.#errors[code] ?? 0) + 1;
        };
        if (index % 2 === 0) {
          return {
            acked: () => {
              this.#acked++;
            },
            delivered: (sentAt: number) => this.#onDelivered(pairIndex, sentAt),
            received: () => error("sender_received"),
            error,
          };
        }
        return {
          acked: () => error("receiver_acked"),
          delivered: () => error("receiver_delivered"),
          received: (_conv: string, seq: number) => this.#onReceived(pairIndex, seq),
          error,
        };
      },
      (count, total) => post({ type: "online", count, total }),
    );
    setup.pairs.forEach((pair: BenchPair, i) => {
      this.#pairs.push({
        conv: pair.conv,
        sender: this.#peers[2 * i] as Peer,
        inflight: 0,
        submitted: 0,
        seen: new SeqSet(),
      });
    });
  }

  start(start: Start): void {
    // Every client is open by now (the coordinator waited for all of them to be online).
    this.#pairs.forEach((pair, i) => {
      pair.sender = this.#peers[2 * i] as Peer;
    });
    const origin = performance.timeOrigin;
    this.#from = start.measureFrom - origin;
    this.#to = start.measureTo - origin;
    const at = (epoch: number) => Math.max(0, epoch - Date.now());
    setTimeout(() => {
      this.#sending = true;
      if (this.#setup.rate > 0) this.#openLoop();
      else
        for (const pair of this.#pairs)
          for (let i = 0; i < this.#setup.window; i++) this.#send(pair, performance.now());
    }, at(start.startAt));
    setTimeout(() => {
      this.#cpuAtFrom = process.cpuUsage();
    }, at(start.measureFrom));
    setTimeout(() => {
      this.#sending = false;
      const cpu = process.cpuUsage(this.#cpuAtFrom);
      this.#cpuSeconds = (cpu.user + cpu.system) / 1e6;
      this.#drain(Date.now() + start.drainMs);
    }, at(start.measureTo));
  }

  close(): void {
    this.#sending = false;
    for (const peer of this.#peers) peer?.close();
  }

  #send(pair: PairState, sentAt: number): void {
    pair.inflight++;
    pair.submitted++;
    pair.sender.send(pair.conv, this.#text, sentAt);
  }

  #onDelivered(pairIndex: number, sentAt: number): void {
    const now = performance.now();
    const pair = this.#pairs[pairIndex] as PairState;
    pair.inflight--;
    this.#delivered++;
    if (now >= this.#from && now < this.#to) this.#measured++;
    if (sentAt >= this.#from && sentAt < this.#to) {
      this.#latencies.add(now - sentAt);
      this.#sent.add(sentAt - this.#from);
    }
    if (this.#sending && this.#setup.rate === 0) this.#send(pair, now);
  }

  #onReceived(pairIndex: number, seq: number): void {
    const pair = this.#pairs[pairIndex] as PairState;
    if (pair.seen.add(seq)) this.#received++;
    else this.#doubles++;
  }

  #openLoop(): void {
    const rate = this.#setup.rate;
    const t0 = performance.now();
    const interval = 1000 / rate;
    let issued = 0;
    const pairs = this.#pairs;
    const timer = setInterval(() => {
      if (!this.#sending) {
        clearInterval(timer);
        return;
      }
      // Message k is due at t0 + k * interval: every one due by now goes out (k = 0 at once).
      const due = Math.floor((performance.now() - t0) / interval) + 1;
      for (; issued < due; issued++) {
        const pair = pairs[issued % pairs.length] as PairState;
        if (pair.inflight >= maxInflightPerPair) this.#skipped++;
        else this.#send(pair, t0 + issued * interval);
      }
    }, 1);
  }

  #drain(deadline: number): void {
    const submitted = () => this.#pairs.reduce((n, p) => n + p.submitted, 0);
    const check = () => {
      const total = submitted();
      const done = this.#delivered >= total && this.#received >= total;
      if (!done && Date.now() < deadline) {
        setTimeout(check, 50);
        return;
      }
      const result: WorkerResult = {
        submitted: total,
        acked: this.#acked,
        delivered: this.#delivered,
        received: this.#received,
        doubles: this.#doubles,
        measuredDelivered: this.#measured,
        latencies: this.#latencies.toArray(),
        sentUs: this.#sent.toArray(),
        perPair: this.#pairs.map((p) => p.submitted),
        skipped: this.#skipped,
        cpuSeconds: this.#cpuSeconds,
        errors: this.#errors,
        drained: done,
      };
      this.#post({ type: "result", result });
    };
    check();
  }
}
