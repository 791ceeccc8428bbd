import type { PrivacyLevel } from "@courier/protocol";

/**
 * The push store seam: who can be woken up, how, and what they allow a notification to show.
 * `push-store.sqlite.ts` (its own file `<dataDir>/push.db`, so it never contends with the message
 * store's writer) and `push-store.postgres.ts` (tables in the cluster database) implement it and
 * pass the one contract suite in `test/push/push-store.contract.ts`.
 *
 * Contract, for every implementation:
 * - Writes are rare (a user toggles a setting) and each call is atomic on its own; a resolved write
 *   is visible to every later read from any node sharing the backend.
 * - One subscription per device: `putSubscription` replaces the device's previous one. An address
 *   (Web Push endpoint or Expo token) belongs to at most one device: registering it from another
 *   device moves it there (a browser that logged in again must not be woken twice).
 * - Reads never throw for unknown ids: they return empty results.
 * - `vapidKeys` is first-writer-wins across all nodes: every caller gets the same pair back.
 * - Times are milliseconds since the epoch.
 */
export interface PushStore {
  putSubscription(subscription: PushSubscriptionRecord): Promise<void>;
  /** Removes the device's subscription; returns whether there was one. */
  removeSubscription(deviceId: string): Promise<boolean>;
  /** Removes whichever subscription has this address (a push service said it is gone). */
  removeAddress(address: string): Promise<boolean>;
  subscriptionOf(deviceId: string): Promise<PushSubscriptionRecord | undefined>;
  /** Every subscription of these users, ordered by user id then device id. */
  subscriptionsOf(userIds: readonly string[]): Promise<PushSubscriptionRecord[]>;

  /** The privacy levels these users chose; users who never chose are absent. */
  privacyOf(userIds: readonly string[]): Promise<Map<string, PrivacyLevel>>;
  setPrivacy(userId: string, level: PrivacyLevel): Promise<void>;

  /** Mutes the conversation for the user until `until` (null: until unmuted). Replaces an earlier mute. */
  mute(userId: string, conversationId: string, until: number | null): Promise<void>;
  /** Returns whether a mute was removed. */
  unmute(userId: string, conversationId: string): Promise<boolean>;
  /** Which of these users have the conversation muted at `now`. */
  mutedAmong(conversationId: string, userIds: readonly string[], now: number): Promise<Set<string>>;
  /** The user's mutes still in force at `now`, ordered by conversation id. */
  mutesOf(userId: string, now: number): Promise<PushMute[]>;

  /** Stores `candidate` if no VAPID key pair is stored yet; returns the stored pair either way. */
  vapidKeys(candidate: VapidKeys): Promise<VapidKeys>;

  close(): Promise<void>;
}

export type PushSubscriptionRecord = WebSubscriptionRecord | ExpoSubscriptionRecord;

interface SubscriptionBase {
  deviceId: string;
  userId: string;
  /** The push service endpoint (web) or the Expo token (expo): unique across devices. */
  address: string;
  createdAt: number;
}

export interface WebSubscriptionRecord extends SubscriptionBase {
  kind: "web";
  /** base64url keys from the browser's subscription. */
  p256dh: string;
  auth: string;
}

export interface ExpoSubscriptionRecord extends SubscriptionBase {
  kind: "expo";
}

export interface PushMute {
  conversationId: string;
  until: number | null;
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}
