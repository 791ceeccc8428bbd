import type { PushSubscriptionBody } from "@courier/protocol";
import type { PushApi } from "./api.ts";

/** Whether this browser can do Web Push at all (service worker, Push API, notifications). */
export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/**
 * Turns notifications on for this device: asks permission (it must follow a click), subscribes
 * the service worker with the server's VAPID key, and hands the subscription to the server.
 * Throws with a message fit for the settings panel when a step is refused.
 */
export async function enablePush(api: PushApi): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site.");
  const registration = await navigator.serviceWorker.ready;
  const key = await api.vapidPublicKey();
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another server key cannot be used: replace it.
  if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: fromBase64Url(key),
  });
  await api.subscribe(subscription.toJSON() as PushSubscriptionBody);
}

/** Turns them off: the server forgets this device's subscription, the browser drops it. */
export async function disablePush(api: PushApi): Promise<void> {
  await api.unsubscribe();
  const registration = await navigator.serviceWorker.getRegistration();
  await (await registration?.pushManager.getSubscription())?.unsubscribe();
}

function fromBase64Url(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameKey(current: ArrayBuffer | null, key: string): boolean {
  if (current === null) return false;
  const a = new Uint8Array(current);
  const b = fromBase64Url(key);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
