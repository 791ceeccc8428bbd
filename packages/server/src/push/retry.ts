/**
 * How long to wait before trying a push again: the service's own Retry-After when it gave one
 * (seconds or an HTTP date), otherwise exponential backoff with jitter, so that many nodes
 * retrying after one outage do not all come back in the same instant.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** attempt 1 → about base, 2 → about 2×base, … capped; jittered into [50%, 100%] of the step. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random) {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + random() / 2));
}

/** True for responses worth another try: rate limiting and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
