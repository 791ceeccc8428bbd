import type { PrivacyLevel, PushPayload } from "@courier/protocol";
import type { PushSubscriptionRecord } from "./push-store.ts";

/** One notification on its way to one device. */
export interface PushJob {
  subscription: PushSubscriptionRecord;
  payload: PushPayload;
  /** The level the payload was built for: a sender may reveal even less on its own path. */
  privacy: PrivacyLevel;
  /** 1 for the first try. */
  attempt: number;
}

/**
 * What became of one job. `gone`: the push service no longer knows the address (Web Push 404/410,
 * Expo DeviceNotRegistered), so the subscription must be dropped. `retry`: a temporary refusal
 * (429, 5xx, network), with the delay the service asked for when it said one.
 */
export type SendOutcome =
  | { kind: "ok" }
  | { kind: "gone" }
  | { kind: "retry"; afterMs?: number; reason: string }
  | { kind: "failed"; reason: string };

/**
 * A way out to one kind of push service. `send` gets the jobs that became ready together (so a
 * sender may batch them) and resolves with one outcome per job, in order; it never rejects.
 */
export interface PushSender {
  send(jobs: PushJob[], signal: AbortSignal): Promise<SendOutcome[]>;
  close(): void;
}
