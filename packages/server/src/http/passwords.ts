import { hash, verify } from "@node-rs/argon2";

/** `Algorithm.Argon2id`: the package exports it as a const enum, which type stripping cannot inline. */
const argon2id = 2;

export interface PasswordCost {
  memoryKib: number;
  timeCost: number;
}

/** argon2id, run on libuv's thread pool so hashing never blocks the event loop. */
export function hashPassword(password: string, cost: PasswordCost): Promise<string> {
  return hash(password, {
    algorithm: argon2id,
    memoryCost: cost.memoryKib,
    timeCost: cost.timeCost,
    parallelism: 1,
  });
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false; // a malformed stored hash is a failed login, not a crash
  }
}
