import path from "node:path";
import { Limits } from "@courier/protocol";

/** Everything Courier can be told, all from environment variables, all optional (see README). */
export interface Config {
  port: number;
  host: string;
  /** Where the embedded database, keys and media live. */
  dataDir: string;
  /** `history` keeps messages; `relay` deletes each once every recipient device has acked it. */
  retention: "history" | "relay";
  /** PostgreSQL URL: switches the store from embedded SQLite to PostgreSQL. */
  databaseUrl: string | undefined;
  /** NATS URL: switches the bus from in-process to NATS. */
  natsUrl: string | undefined;
  /** Largest WebSocket frame answered normally; larger ones get `too_large`. */
  maxFrameBytes: number;
  /** Hard transport limit: a message larger than this closes the connection (1009). */
  maxMessageBytes: number;
  /** Frames a connection may send per second (token bucket), and the burst it may save up. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Bytes queued to one socket before it counts as a slow consumer and is dropped. */
  maxBufferedBytes: number;
  heartbeatIntervalMs: number;
  authTimeoutMs: number;
  /** argon2id cost. The defaults follow OWASP's recommendation (19 MiB, 2 passes). */
  argon2MemoryKib: number;
  argon2TimeCost: number;
  /** Groups with more members than this use notify + pull instead of fan-out on write. */
  largeGroupThreshold: number;
  /** Most members a group may have. */
  maxGroupSize: number;
  /** Aggregated group receipts go out at most this often per group. */
  groupReceiptIntervalMs: number;
  /** How long a direct conversation's `sent` may wait for its delivered receipt (one write for both). */
  sentLingerMs: number;
  /** How long acked cursor moves gather before one store write (receipts do not wait for it). */
  cursorFlushMs: number;
  /**
   * How long a direct conversation's plain acks (delivered, not read) gather before one store
   * write: long enough that a device's many acks become one row update (see CursorBatcher).
   */
  ackFlushMs: number;
  /** Relay mode: how long a pruned message's idempotency key is kept, ms (COURIER_DEDUPE_DAYS). */
  dedupeWindowMs: number;
  logLevel: string;
  push: PushConfig;
}

/** Push notifications (see docs/push.md). */
export interface PushConfig {
  /** VAPID key pair (base64url); when unset the server generates one and keeps it in the push store. */
  vapidPublicKey: string | undefined;
  vapidPrivateKey: string | undefined;
  /** Contact the push services may use (a `mailto:` or `https:` URL). */
  vapidSubject: string;
  /** Base URL of Expo's push API; `/send` and `/getReceipts` are appended. */
  expoPushUrl: string;
  expoAccessToken: string | undefined;
  /** Messages of one conversation to one device within this window make one notification. */
  coalesceMs: number;
}

type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function configFromEnv(env: Env = process.env): Config {
  const retention = env.COURIER_RETENTION ?? "history";
  if (retention !== "history" && retention !== "relay") {
    throw new Error(
      `COURIER_RETENTION must be "history" or "relay", got ${JSON.stringify(retention)}`,
    );
  }
  const cursorFlushMs = intFrom(env, "COURIER_CURSOR_FLUSH_MS", 10);
  return {
    port: intFrom(env, "PORT", 3000),
    host: env.HOST ?? "0.0.0.0",
    dataDir: path.resolve(env.COURIER_DATA_DIR ?? "data"),
    retention,
    databaseUrl: env.COURIER_DATABASE_URL || undefined,
    natsUrl: env.COURIER_NATS_URL || undefined,
    maxFrameBytes: intFrom(env, "COURIER_MAX_FRAME_BYTES", Limits.maxFrameBytes),
    maxMessageBytes: intFrom(env, "COURIER_MAX_MESSAGE_BYTES", 1024 * 1024),
    rateLimitPerSecond: intFrom(env, "COURIER_RATE_LIMIT", 500),
    rateLimitBurst: intFrom(env, "COURIER_RATE_BURST", 1000),
    maxBufferedBytes: intFrom(env, "COURIER_MAX_BUFFERED_BYTES", 8 * 1024 * 1024),
    heartbeatIntervalMs: intFrom(env, "COURIER_HEARTBEAT_MS", 30_000),
    authTimeoutMs: intFrom(env, "COURIER_AUTH_TIMEOUT_MS", 10_000),
    argon2MemoryKib: intFrom(env, "COURIER_ARGON2_MEMORY_KIB", 19_456),
    argon2TimeCost: intFrom(env, "COURIER_ARGON2_TIME_COST", 2),
    largeGroupThreshold: intFrom(env, "COURIER_LARGE_GROUP", 256),
    maxGroupSize: intFrom(env, "COURIER_MAX_GROUP_SIZE", 100_000),
    groupReceiptIntervalMs: intFrom(env, "COURIER_GROUP_RECEIPT_MS", 200),
    sentLingerMs: intFrom(env, "COURIER_SENT_LINGER_MS", 4),
    cursorFlushMs,
    // A node alone sees every connection's sync, and settles the acks before it (see
    // CursorBatcher.settle); in a cluster a device may sync on another node, so acks go at once.
    ackFlushMs: intFrom(env, "COURIER_ACK_FLUSH_MS", env.COURIER_NATS_URL ? cursorFlushMs : 500),
    dedupeWindowMs: intFrom(env, "COURIER_DEDUPE_DAYS", 30) * 24 * 3600 * 1000,
    logLevel: env.COURIER_LOG_LEVEL ?? "info",
    push: {
      vapidPublicKey: env.COURIER_VAPID_PUBLIC_KEY || undefined,
      vapidPrivateKey: env.COURIER_VAPID_PRIVATE_KEY || undefined,
      vapidSubject: env.COURIER_VAPID_SUBJECT || "mailto:push@courier.invalid",
      expoPushUrl: env.COURIER_EXPO_PUSH_URL || "https://exp.host/--/api/v2/push",
      expoAccessToken: env.COURIER_EXPO_ACCESS_TOKEN || undefined,
      coalesceMs: intFrom(env, "COURIER_PUSH_COALESCE_MS", 1000),
    },
  };
}
