import pino from "pino";
import { Dispatcher, type DispatcherOptions } from "../../../src/push/dispatcher.ts";
import type { PushSender } from "../../../src/push/sender.ts";

/** A sender for the kind a test does not use: anything handed to it fails. */
export const unusedSender: PushSender = {
  send: async (jobs) => jobs.map(() => ({ kind: "failed", reason: "unused" })),
  close: () => {},
};

/**
 * A dispatcher for tests: one attempt, short waits, roomy bounds, no callbacks, a silent log,
 * and `unusedSender` for whatever kind `options.senders` leaves out. A test sets what it checks.
 */
export function testDispatcher(
  options: Partial<Omit<DispatcherOptions, "senders">> & {
    senders: Partial<DispatcherOptions["senders"]>;
  },
): Dispatcher {
  return new Dispatcher({
    maxQueued: 1000,
    maxInFlight: 1000,
    maxAttempts: 1,
    retryBaseMs: 10,
    retryCapMs: 10,
    maxRetryAfterMs: 10,
    onGone: () => {},
    onOutcome: () => {},
    onDrop: () => {},
    log: pino({ level: "silent" }),
    ...options,
    senders: { web: unusedSender, expo: unusedSender, ...options.senders },
  });
}
