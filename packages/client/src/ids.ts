/**
 * A random client id for a message. Uses `crypto.randomUUID` where the host has it (Node,
 * browsers in secure contexts), `crypto.getRandomValues` otherwise (older React Native with a
 * polyfill), and falls back to Math.random only when neither exists: the id needs to be unique
 * per sender, not secret.
 */
export function randomId(): string {
  const c = (globalThis as { crypto?: CryptoLike }).crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * A client id for a message that sorts by creation time: 12 hex digits of the millisecond clock,
 * then 20 hex digits of a random UUID (74 random bits), 32 characters in all, in the spirit of
 * UUIDv7. The server keys idempotency by (cid, sender): ids that grow make every new key land at
 * the right edge of that index instead of on a random page, which is a page less written per
 * message. Uniqueness per sender rests on the random part, as with randomId; a wrong device
 * clock only costs that locality.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, "0").slice(-12);
  return time + randomId().replaceAll("-", "").slice(0, 20);
}

interface CryptoLike {
  randomUUID?: () => string;
  getRandomValues?: (array: Uint8Array) => Uint8Array;
}
