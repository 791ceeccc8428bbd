import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** Prometheus metrics of one server instance (its own registry, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string) =>
    new Counter({ name, help, registers: [registry] });
  return {
    registry,
    connections: new Gauge({
      name: "courier_connections",
      help: "Open WebSocket connections",
      registers: [registry],
    }),
    framesIn: counter("courier_frames_in_total", "Frames received from clients"),
    frameErrors: new Counter({
      name: "courier_frame_errors_total",
      help: "Frames answered with an error, by code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    messagesStored: counter("courier_messages_stored_total", "Messages durably stored"),
    duplicateSends: counter(
      "courier_duplicate_sends_total",
      "Sends recognised as retries by client id",
    ),
    receipts: counter("courier_receipts_total", "Member cursor advances announced as receipts"),
    messagesPruned: counter(
      "courier_messages_pruned_total",
      "Messages deleted after delivery (relay mode)",
    ),
    keysExpired: counter(
      "courier_dedupe_keys_expired_total",
      "Idempotency keys of pruned messages forgotten past COURIER_DEDUPE_DAYS (relay mode)",
    ),
    slowConsumers: counter("courier_slow_consumers_total", "Connections dropped for not reading"),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
