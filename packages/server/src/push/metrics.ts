import { Counter, Gauge, type Registry } from "prom-client";

/** Push metrics, registered on the node's own registry so they show on /metrics. */
export function createPushMetrics(registry: Registry, depth: () => number) {
  return {
    sent: new Counter({
      name: "courier_push_sent_total",
      help: "Push attempts by service kind and outcome (ok, gone, retry, failed)",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    }),
    dropped: new Counter({
      name: "courier_push_dropped_total",
      help: "Pushes not sent: intake_full, coalesce_full, queue_full (bounded queues), gave_up (retries exhausted), error (store trouble)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    skipped: new Counter({
      name: "courier_push_skipped_total",
      help: "Pushes not needed: online (device connected), muted",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    coalesced: new Counter({
      name: "courier_push_coalesced_total",
      help: "Messages folded into a notification already pending for the same device and chat",
      registers: [registry],
    }),
    removed: new Counter({
      name: "courier_push_subscriptions_removed_total",
      help: "Subscriptions dropped because the push service said they are gone",
      registers: [registry],
    }),
    queued: new Gauge({
      name: "courier_push_queue",
      help: "Push work waiting: messages to examine, notifications coalescing and to send",
      registers: [registry],
      collect() {
        this.set(depth());
      },
    }),
  };
}

export type PushMetrics = ReturnType<typeof createPushMetrics>;
