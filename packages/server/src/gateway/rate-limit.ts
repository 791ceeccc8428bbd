/**
 * A token bucket per connection: `perSecond` frames refill continuously up to `burst`. Kept as two
 * numbers on the connection rather than an object, since there is one per socket.
 */
export interface Bucket {
  tokens: number;
  refilledAt: number;
}

export function takeToken(bucket: Bucket, perSecond: number, burst: number, now: number): boolean {
  const elapsed = now - bucket.refilledAt;
  if (elapsed > 0) {
    bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
    bucket.refilledAt = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
