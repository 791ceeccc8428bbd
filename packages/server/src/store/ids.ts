import { randomFillSync } from "node:crypto";

/**
 * Random, URL-safe, 16-character ids (96 bits) for users, devices and messages.
 *
 * Ids are minted on the hot append path, so random bytes are drawn in 12 KiB refills rather than
 * one syscall per id. 96 random bits make a collision negligible even at billions of rows; the
 * tables' primary keys would still reject one rather than corrupt data.
 */
const ID_BYTES = 12;
const pool = Buffer.alloc(ID_BYTES * 1024);
let offset = pool.length;

export function newId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString("base64url", offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
