import { ErrorCode } from "@courier/protocol";

/**
 * Decides what the outbox does after the server refused a send. Swappable through the client
 * options: the load generator may retry faster, an app may give up sooner.
 */
export interface RetryPolicy {
  /**
   * `attempt` counts the failures of this message so far (1 after the first error). Returns the
   * delay in ms before the message is sent again, or `undefined` to mark it `failed`.
   */
  retryAfter(code: string, attempt: number): number | undefined;
}

/** Errors after which the same send may succeed later; everything else is permanent. */
export const retryableCodes: ReadonlySet<string> = new Set<string>([
  ErrorCode.unavailable,
  ErrorCode.rateLimited,
  ErrorCode.internal,
  // Only if a frame raced ahead of authentication; the resend after `ready` succeeds.
  ErrorCode.notAuthenticated,
]);

export interface DefaultRetryOptions {
  /** Give up (status `failed`) after this many failures. Default 8. */
  maxAttempts?: number;
  /** First delay, doubled per attempt. Default 500 ms. */
  baseMs?: number;
  /** Largest delay. Default 30 s. */
  maxMs?: number;
  random?: () => number;
}

/**
 * Retries retryable codes with capped exponential backoff and half jitter (so a retry never
 * fires immediately into a store that just failed); permanent codes fail at once.
 */
export function defaultRetryPolicy(options: DefaultRetryOptions = {}): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  return {
    retryAfter(code, attempt) {
      if (!retryableCodes.has(code) || attempt >= maxAttempts) return undefined;
      const window = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
      return Math.floor(window / 2 + (random() * window) / 2);
    },
  };
}
