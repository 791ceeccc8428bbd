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

interface CryptoLike {
  randomUUID?: () => string;
  getRandomValues?: (array: Uint8Array) => Uint8Array;
}
