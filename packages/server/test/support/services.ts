/**
 * Reaching the external services (PostgreSQL, NATS) that the cluster tests need. On CI
 * (`CI=true`) a missing service is a failure; anywhere else the tests that need it are skipped,
 * and say plainly why.
 */

/** What node:test's `skip` option takes: false to run, or the reason to skip. */
export type SkipReason = false | string;

/**
 * Turns a probe result into node:test's skip option. `problem` is undefined when the service
 * answered. Under CI it throws instead, so that the suite fails rather than silently skipping.
 */
export function skipUnless(service: string, problem: string | undefined): SkipReason {
  if (problem === undefined) return false;
  const reason = `${service} is not reachable (${problem}); skipping the tests that need it`;
  if (process.env.CI === "true") {
    throw new Error(`${reason}: not allowed under CI=true`);
  }
  console.log(`# SKIP ${reason}`);
  return reason;
}

/** The message of an unknown thrown value, for skip reasons. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return describeError(error.errors[0]);
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
