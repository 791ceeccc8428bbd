import webpush from "web-push";
import type { PushConfig } from "../config.ts";
import type { PushStore, VapidKeys } from "./push-store.ts";

/**
 * The server's VAPID key pair: from the environment when both keys are set there, otherwise the
 * pair kept in the push store (push.db in the data directory, or the cluster database, so every
 * node signs with the same key), generated on the very first start. Changing keys would orphan
 * every browser subscription, which is bound to the public key it was made with.
 */
export async function loadVapidKeys(config: PushConfig, store: PushStore): Promise<VapidKeys> {
  if (!/^(mailto:|https:)/.test(config.vapidSubject)) {
    throw new Error(
      `COURIER_VAPID_SUBJECT must be a mailto: or https: URL, got ${config.vapidSubject}`,
    );
  }
  const { vapidPublicKey: publicKey, vapidPrivateKey: privateKey } = config;
  if (publicKey && privateKey) {
    checkKey("COURIER_VAPID_PUBLIC_KEY", publicKey, 65);
    checkKey("COURIER_VAPID_PRIVATE_KEY", privateKey, 32);
    return { publicKey, privateKey };
  }
  if (publicKey || privateKey) {
    throw new Error("set both COURIER_VAPID_PUBLIC_KEY and COURIER_VAPID_PRIVATE_KEY, or neither");
  }
  return store.vapidKeys(webpush.generateVAPIDKeys());
}

function checkKey(name: string, value: string, bytes: number): void {
  if (Buffer.from(value, "base64url").length !== bytes) {
    throw new Error(`${name} must be ${bytes} bytes, base64url encoded`);
  }
}
