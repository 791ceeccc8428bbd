import type { PushStore, PushSubscriptionRecord } from "./push-store.ts";

/** A push store with the cache in front, which can also answer from memory alone. */
export interface CachedPushStore extends PushStore {
  /**
   * True when the cache alone shows that no user of `userIds` other than `except` has a push
   * subscription: each has a fresh entry holding none. False as soon as one has a subscription,
   * or no entry, or a stale one (then `subscriptionsOf` asks the store and refreshes it). The
   * push service asks this for every stored message, so it neither allocates nor waits.
   */
  knownUnsubscribed(userIds: readonly string[], except: string): boolean;
}

/**
 * Puts a short-lived per-user cache in front of `subscriptionsOf`, which the push service calls
 * for every stored message: without it the message path paid a database query per message even
 * when no recipient had a subscription (15% of the event loop in the messaging benchmark).
 * Changes made through this store drop the affected entries at once; a subscription added on
 * another cluster node is seen within `ttlMs`.
 */
export function withSubscriptionCache(
  store: PushStore,
  ttlMs: number,
  now = Date.now,
): CachedPushStore {
  const cache = new Map<string, { subscriptions: PushSubscriptionRecord[]; at: number }>();
  const maxEntries = 100_000;

  async function subscriptionsOf(userIds: readonly string[]): Promise<PushSubscriptionRecord[]> {
    const t = now();
    const found: PushSubscriptionRecord[] = [];
    const missing: string[] = [];
    for (const userId of userIds) {
      const entry = cache.get(userId);
      if (entry && t - entry.at < ttlMs) found.push(...entry.subscriptions);
      else missing.push(userId);
    }
    if (missing.length === 0) return found;
    const fetched = await store.subscriptionsOf(missing);
    if (cache.size + missing.length > maxEntries) cache.clear();
    for (const userId of missing) cache.set(userId, { subscriptions: [], at: t });
    for (const s of fetched) cache.get(s.userId)?.subscriptions.push(s);
    return [...found, ...fetched];
  }

  function knownUnsubscribed(userIds: readonly string[], except: string): boolean {
    const t = now();
    for (const userId of userIds) {
      if (userId === except) continue;
      const entry = cache.get(userId);
      if (entry === undefined || t - entry.at >= ttlMs || entry.subscriptions.length > 0) {
        return false;
      }
    }
    return true;
  }

  const overrides: Partial<CachedPushStore> = {
    knownUnsubscribed,
    subscriptionsOf,
    async putSubscription(subscription) {
      cache.delete(subscription.userId);
      await store.putSubscription(subscription);
      cache.delete(subscription.userId);
    },
    async removeSubscription(deviceId) {
      cache.clear(); // keyed by user, and the device's user is not at hand: changes are rare
      return store.removeSubscription(deviceId);
    },
    async removeAddress(address) {
      cache.clear();
      return store.removeAddress(address);
    },
  };
  return new Proxy(store as CachedPushStore, {
    get(target, property, receiver) {
      if (property in overrides) return overrides[property as keyof CachedPushStore];
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
