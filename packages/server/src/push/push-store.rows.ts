import type { PushSubscriptionRecord } from "./push-store.ts";

/** A subscription row as both SQL backends store it (one table, nullable web-only keys). */
export interface SubscriptionRow {
  device_id: string;
  user_id: string;
  kind: string;
  address: string;
  p256dh: string | null;
  auth: string | null;
  created_at: number | string;
}

export function toSubscription(row: SubscriptionRow): PushSubscriptionRecord {
  const base = {
    deviceId: row.device_id,
    userId: row.user_id,
    address: row.address,
    // pg returns BIGINT as a string; SQLite as a number.
    createdAt: Number(row.created_at),
  };
  if (row.kind === "web") {
    return { ...base, kind: "web", p256dh: row.p256dh ?? "", auth: row.auth ?? "" };
  }
  return { ...base, kind: "expo" };
}

export function subscriptionParams(s: PushSubscriptionRecord) {
  return [
    s.deviceId,
    s.userId,
    s.kind,
    s.address,
    s.kind === "web" ? s.p256dh : null,
    s.kind === "web" ? s.auth : null,
    s.createdAt,
  ] as const;
}

export const VAPID_KEY = "vapid";
