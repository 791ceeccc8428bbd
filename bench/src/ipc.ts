import type { BenchPair, BenchSession } from "./accounts.ts";

/** Coordinator → worker. Times are epoch milliseconds (one clock for every process here). */
export type ToWorker =
  | {
      type: "messaging";
      url: string;
      localAddress: string;
      driver: "sdk" | "raw";
      pairs: BenchPair[];
      window: number;
      /** Messages per second for this worker's pairs together; 0 = closed loop. */
      rate: number;
      size: number;
    }
  | {
      type: "idle";
      url: string;
      localAddress: string;
      driver: "sdk" | "raw";
      sessions: BenchSession[];
    }
  /** Group: hold `sessions` online and time the arrivals of `sends` messages in `conv`. */
  | {
      type: "group";
      url: string;
      localAddress: string;
      driver: "sdk" | "raw";
      sessions: BenchSession[];
      conv: string;
      sends: number;
    }
  /** Group: report what arrived (`group_result`). */
  | { type: "collect" }
  /** Messaging: send from `startAt`, measure in [measureFrom, measureTo), stop sending at measureTo. */
  | { type: "start"; startAt: number; measureFrom: number; measureTo: number; drainMs: number }
  | { type: "stop" };

/** Worker → coordinator. */
export type FromWorker =
  | { type: "online"; count: number; total: number }
  | { type: "result"; result: WorkerResult }
  | { type: "failed"; message: string };

/** Worker → coordinator, group scenario only (kept out of FromWorker, which cluster.ts matches exhaustively). */
export type GroupFromWorker =
  /** Group: every member of this worker has message `k`; first and last arrival, monotonicNow ms (load.group.ts). */
  | { type: "group_done"; k: number; first: number; last: number }
  | { type: "group_result"; result: GroupWorkerResult };

/** Group: one worker's arrivals, per message index. */
export interface GroupWorkerResult {
  /** Members (clients) this worker holds. */
  members: number;
  /** Per message: members that got it (once). */
  counts: number[];
  /** Per message: first and last arrival over this worker's members, monotonicNow ms (0 = none). */
  first: number[];
  last: number[];
  /** Members that got every message. */
  membersComplete: number;
  /** Second arrivals of a message at the same member. */
  doubles: number;
  /** Text messages in the group that are not the bench's. */
  foreign: number;
  errors: Record<string, number>;
}

export interface WorkerResult {
  /** Messages handed to the client, warm-up included. */
  submitted: number;
  /** `sent` acks (stored, one tick). */
  acked: number;
  /** Delivered receipts back at the senders (two ticks). */
  delivered: number;
  /** Messages that arrived at the receivers, counted once each. */
  received: number;
  /** Messages that arrived at a receiver a second time. */
  doubles: number;
  /** Delivered receipts inside the measured window (the throughput figure). */
  measuredDelivered: number;
  /** Round-trip latencies (µs) of the messages sent inside the measured window. */
  latencies: Uint32Array;
  /** When each of `latencies` was sent: µs after the start of the measured window. */
  sentUs: Uint32Array;
  /** Messages submitted per pair, in the order of the pairs this worker got (store check). */
  perPair: number[];
  /** Open loop: sends skipped because a pair already had too many in flight. */
  skipped: number;
  /** The worker's own CPU seconds inside the measured window. */
  cpuSeconds: number;
  errors: Record<string, number>;
  /** True if every message was delivered before the drain deadline. */
  drained: boolean;
}
