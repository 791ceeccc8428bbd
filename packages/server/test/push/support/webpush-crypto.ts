import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify,
} from "node:crypto";

/**
 * The browser's side of Web Push, written from the RFCs with node:crypto only, so that the tests
 * prove the server's encryption and signatures are real rather than trusting the library that
 * made them: aes128gcm payload decryption (RFC 8291 + RFC 8188) and VAPID JWT verification
 * (RFC 8292, ES256).
 */

/** A subscription's key pair and auth secret, as a browser would create them. */
export interface BrowserKeys {
  /** base64url uncompressed P-256 public key (65 bytes) */
  p256dh: string;
  /** base64url 16-byte auth secret */
  auth: string;
  privateKey: Buffer;
}

export function browserKeys(): BrowserKeys {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    p256dh: ecdh.getPublicKey().toString("base64url"),
    auth: randomBytes(16).toString("base64url"),
    privateKey: ecdh.getPrivateKey(),
  };
}

/** Decrypts an aes128gcm Web Push body with the subscription's private key and auth secret. */
export function decryptAes128gcm(body: Buffer, keys: BrowserKeys): Buffer {
  // RFC 8188 header: salt(16) | record size(4) | key id length(1) | key id (the sender's public key).
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body.readUInt8(20);
  const senderPublic = body.subarray(21, 21 + idLength);
  const records = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`key id must be a 65-byte P-256 point, got ${idLength}`);

  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(keys.privateKey);
  const sharedSecret = ecdh.computeSecret(senderPublic);
  const receiverPublic = Buffer.from(keys.p256dh, "base64url");
  const authSecret = Buffer.from(keys.auth, "base64url");

  // RFC 8291 §3.4: IKM = HKDF(auth secret, ECDH secret, "WebPush: info" || 0 || ua_public || as_public, 32)
  const keyInfo = Buffer.concat([
    Buffer.from("WebPush: info\0", "latin1"),
    receiverPublic,
    senderPublic,
  ]);
  const ikm = Buffer.from(hkdfSync("sha256", sharedSecret, authSecret, keyInfo, 32));
  // RFC 8188 §2.2: content encryption key and nonce from the salt.
  const cek = Buffer.from(
    hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0", "latin1"), 16),
  );
  const nonce = Buffer.from(
    hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0", "latin1"), 12),
  );

  const plain: Buffer[] = [];
  for (let i = 0, offset = 0; offset < records.length; i++, offset += recordSize) {
    const record = records.subarray(offset, Math.min(offset + recordSize, records.length));
    // Each record's nonce is the base nonce XOR its sequence number (big-endian, low bytes).
    const recordNonce = Buffer.from(nonce);
    recordNonce.writeUInt32BE((recordNonce.readUInt32BE(8) ^ i) >>> 0, 8);
    const decipher = createDecipheriv("aes-128-gcm", cek, recordNonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const padded = Buffer.concat([decipher.update(record.subarray(0, -16)), decipher.final()]);
    // Padding: data || delimiter (2 for the last record, 1 otherwise) || zeros.
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    const delimiter = padded[end];
    const last = offset + recordSize >= records.length;
    if (delimiter !== (last ? 2 : 1)) throw new Error(`bad padding delimiter ${delimiter}`);
    plain.push(padded.subarray(0, end));
  }
  return Buffer.concat(plain);
}

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/**
 * Checks `Authorization: vapid t=<jwt>, k=<public key>`: the JWT is ES256-signed by the private
 * half of `k`, and `k` is the server's published key. Returns the claims; throws on any mismatch.
 */
export function verifyVapid(authorization: string, expectedPublicKey: string): VapidClaims {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  if (!match) throw new Error(`not a vapid authorization: ${authorization}`);
  const [, jwt = "", k = ""] = match;
  if (k !== expectedPublicKey) throw new Error("VAPID key is not the server's published key");
  const [header = "", claims = "", signature = ""] = jwt.split(".");
  const head = JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string };
  if (head.alg !== "ES256") throw new Error(`JWT alg must be ES256, got ${head.alg}`);
  const point = Buffer.from(k, "base64url");
  const publicKey = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${header}.${claims}`),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!ok) throw new Error("VAPID JWT signature does not verify");
  return JSON.parse(Buffer.from(claims, "base64url").toString()) as VapidClaims;
}
