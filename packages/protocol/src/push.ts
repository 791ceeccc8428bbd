import { z } from "zod";

/**
 * Push notifications: REST bodies under `/api/push` and the payload a push carries to a device.
 * A push is only a wake-up: the message itself always arrives through sync when the app connects.
 */

/** How much a notification may reveal: sender and preview, sender only, or nothing ("New message"). */
export const PrivacyLevel = z.enum(["full", "sender", "none"]);
export type PrivacyLevel = z.infer<typeof PrivacyLevel>;

const base64url = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+=*$/, "base64url")
    .refine((s) => Math.floor((s.replace(/=+$/, "").length * 3) / 4) === bytes, {
      message: `must encode ${bytes} bytes`,
    });

/**
 * A browser subscription, exactly as `PushSubscription.toJSON()` returns it, so the web app can
 * post it unchanged. p256dh is the uncompressed P-256 point (65 bytes), auth the 16-byte secret.
 */
export const WebPushSubscriptionBody = z.object({
  endpoint: z.url().max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: base64url(65), auth: base64url(16) }),
});
export type WebPushSubscriptionBody = z.infer<typeof WebPushSubscriptionBody>;

/** A native app's Expo push token, e.g. `ExponentPushToken[xxxxxxxx]`. */
export const ExpoPushSubscriptionBody = z.object({
  expoToken: z
    .string()
    .max(256)
    .regex(/^Expo(nent)?PushToken\[[^\]\s]+\]$/, "an Expo push token"),
});
export type ExpoPushSubscriptionBody = z.infer<typeof ExpoPushSubscriptionBody>;

/** POST /api/push/subscriptions: replaces the calling device's subscription. */
export const PushSubscriptionBody = z.union([WebPushSubscriptionBody, ExpoPushSubscriptionBody]);
export type PushSubscriptionBody = z.infer<typeof PushSubscriptionBody>;

/** PUT /api/push/settings */
export const PushSettingsBody = z.object({ privacy: PrivacyLevel });
export type PushSettingsBody = z.infer<typeof PushSettingsBody>;

/** PUT /api/push/mutes/:conv: mute until a time (ms since the epoch), or for good when absent/null. */
export const MuteBody = z.object({ until: z.number().int().positive().nullable().optional() });
export type MuteBody = z.infer<typeof MuteBody>;

/** GET /api/push/vapid-public-key: the application server key for `pushManager.subscribe`. */
export interface VapidPublicKeyResponse {
  /** base64url, uncompressed P-256 point. */
  publicKey: string;
}

export interface MuteInfo {
  conv: string;
  /** null: muted until unmuted. */
  until: number | null;
}

/** GET and PUT /api/push/settings */
export interface PushSettings {
  privacy: PrivacyLevel;
  /** Whether `privacy` is the server's default (the user never chose). */
  privacyIsDefault: boolean;
  /** The calling device's subscription kind, or null if it has none. */
  subscription: "web" | "expo" | null;
  mutes: MuteInfo[];
}

/**
 * What a push carries (JSON, encrypted end to end for Web Push). `count` is how many messages of
 * this conversation the push stands for (a coalesced burst); `title`/`body` are ready to show and
 * already respect the user's privacy level: `sender` and the preview are absent when hidden.
 */
export interface PushPayload {
  v: 1;
  conv: string;
  /** Seq of the newest message it stands for. */
  seq: number;
  count: number;
  title: string;
  body: string;
  sender?: { id: string; name: string };
  /** The newest message's preview (full level only), so a client can re-word a grouped notification. */
  preview?: string;
}
