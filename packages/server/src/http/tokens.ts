import { createHash, randomBytes } from "node:crypto";
import type { Store, StoredDevice } from "../store/store.ts";

/** A device token: 256 random bits. Only its hash is stored, so a database leak leaks no sessions. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** SHA-256 is enough here: the token has full entropy, so there is nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** The active device a token belongs to, or undefined for unknown and revoked tokens. */
export function deviceForToken(store: Store, token: string): Promise<StoredDevice | undefined> {
  return store.deviceByTokenHash(hashToken(token));
}
