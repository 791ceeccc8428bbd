import webpush from "web-push";
import type { VapidKeys } from "./push-store.ts";
import { isRetryableStatus, parseRetryAfter } from "./retry.ts";
import type { PushJob, PushSender, SendOutcome } from "./sender.ts";

export interface WebPushSenderOptions {
  vapid: VapidKeys;
  subject: string;
  /** How long a push service keeps an undelivered push; a day-old wake-up is noise. */
  ttlSeconds?: number;
  timeoutMs?: number;
}

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291). `web-push` builds
 * each request — the encryption to the browser's keys and the signed JWT — and we send it with
 * fetch ourselves, so that the status handling (retry, Retry-After, gone) is ours and the same for
 * every service. Each job is its own request: Web Push has no batch API.
 */
export class WebPushSender implements PushSender {
  readonly #options: Required<WebPushSenderOptions>;

  constructor(options: WebPushSenderOptions) {
    this.#options = { ttlSeconds: 24 * 3600, timeoutMs: 10_000, ...options };
  }

  send(jobs: PushJob[], signal: AbortSignal): Promise<SendOutcome[]> {
    return Promise.all(jobs.map((job) => this.#sendOne(job, signal)));
  }

  close(): void {}

  async #sendOne(job: PushJob, signal: AbortSignal): Promise<SendOutcome> {
    const sub = job.subscription;
    if (sub.kind !== "web") return { kind: "failed", reason: "not a web subscription" };
    let request: webpush.RequestDetails;
    try {
      request = webpush.generateRequestDetails(
        { endpoint: sub.address, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        JSON.stringify(job.payload),
        {
          vapidDetails: {
            subject: this.#options.subject,
            publicKey: this.#options.vapid.publicKey,
            privateKey: this.#options.vapid.privateKey,
          },
          TTL: this.#options.ttlSeconds,
          // A chat message should wake the device now, not at its next batch window.
          urgency: "high",
        },
      );
    } catch {
      // Keys the browser gave us that do not form a valid point: this subscription never works.
      return { kind: "gone" };
    }
    let response: Response;
    try {
      response = await fetch(request.endpoint, {
        method: request.method,
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
        ),
        body: request.body ? new Uint8Array(request.body) : null,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#options.timeoutMs)]),
        redirect: "error",
      });
      await response.body?.cancel();
    } catch (err) {
      return { kind: "retry", reason: `network: ${(err as Error).message}` };
    }
    return outcomeOf(response);
  }
}

function outcomeOf(response: Response): SendOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: "ok" };
  if (status === 404 || status === 410) return { kind: "gone" };
  if (isRetryableStatus(status)) {
    const afterMs = parseRetryAfter(response.headers.get("retry-after"));
    return {
      kind: "retry",
      reason: `status ${status}`,
      ...(afterMs === undefined ? {} : { afterMs }),
    };
  }
  // 400 (malformed), 403 (VAPID key mismatch), 413 (too large): retrying cannot help.
  return { kind: "failed", reason: `status ${status}` };
}
