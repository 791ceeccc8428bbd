import type {
  PrivacyLevel,
  PushSettings,
  PushSubscriptionBody,
  VapidPublicKeyResponse,
} from "@courier/protocol";

/**
 * The push endpoints under /api/push, called with this device's token. (The SDK has no push
 * methods yet; when it gets them, for the native app's Expo token too, this file goes.)
 */
export class PushApi {
  readonly #token: () => string | undefined;

  constructor(token: () => string | undefined) {
    this.#token = token;
  }

  async vapidPublicKey(): Promise<string> {
    return (await this.#call<VapidPublicKeyResponse>("GET", "/vapid-public-key")).publicKey;
  }
  settings(): Promise<PushSettings> {
    return this.#call("GET", "/settings");
  }
  subscribe(body: PushSubscriptionBody): Promise<PushSettings> {
    return this.#call("POST", "/subscriptions", body);
  }
  unsubscribe(): Promise<void> {
    return this.#call("DELETE", "/subscriptions");
  }
  setPrivacy(privacy: PrivacyLevel): Promise<PushSettings> {
    return this.#call("PUT", "/settings", { privacy });
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.#token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`/api/push${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} /api/push${path}: ${res.status}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}
