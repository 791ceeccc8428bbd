import pg from "pg";
import { StoreUnavailableError } from "./store.ts";

/**
 * Sorting PostgreSQL failures into "the backend is unavailable" (connection lost, server shutting
 * down or overloaded, timeouts: the caller may retry later and must not ack) and everything else
 * (a constraint, a bug in our SQL: retrying the same input would fail the same way).
 */

/** SQLSTATE classes that mean the server or the link to it is in trouble, not our statement. */
const unavailableClasses = new Set(["08", "53", "57", "58", "XX"]);

/** SQLSTATEs after which running the same transaction again is expected to succeed. */
const retryableStates = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected (two nodes locking rows in different orders)
  "23505", // unique_violation: another node committed the same (sender, cid) first
]);

function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

/** True when the error says nothing about our input, only that PostgreSQL could not be reached. */
export function isUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  // Anything that is not a server-side SQL error is a socket, pool or timeout failure.
  if (state === undefined) return true;
  return unavailableClasses.has(state.slice(0, 2));
}

export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && retryableStates.has(state);
}

export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === "23505";
}

/** Rethrows a backend failure as StoreUnavailableError (keeping the cause); others unchanged. */
export function toStoreError(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  if (isUnavailable(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new StoreUnavailableError(`PostgreSQL unavailable: ${reason}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Input the contract does not cover (an unknown conversation): only that call fails. */
export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
}
