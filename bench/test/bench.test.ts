import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Runs the bench CLI as a user would and returns its final JSON line. */
function runBench(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [main, ...args, "--quiet"],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const last = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(last) as Record<string, unknown>);
        } catch {
          reject(new Error(`no JSON result (${err?.message ?? "exit 0"})\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

test("the messaging scenario delivers every message exactly once and reports a rate", async () => {
  const r = await runBench(["--pairs", "4", "--duration", "2", "--warmup", "0.5", "--procs", "2"]);
  assert.equal(r.bench, "messaging");
  assert.ok((r.msgsPerSec as number) > 0, "some messages per second");
  assert.ok((r.submitted as number) > 0);
  assert.equal(r.lost, 0, "nothing lost");
  assert.equal(r.doubles, 0, "nothing doubled");
  assert.equal(r.acked, r.submitted, "every send acked");
  assert.equal(r.delivered, r.submitted, "every send got its delivered receipt");
  assert.equal(r.stored, r.submitted, "the server holds every message");
  assert.equal(r.ok, true);
  const latency = r.latencyMs as { count: number; p50: number; p99: number };
  assert.ok(latency.count > 0 && latency.p50 > 0 && latency.p99 >= latency.p50);
  // The server's pauses, read from its /metrics at both ends of the window.
  const pauses = r.serverPauses as {
    gc: Record<string, { count: number }>;
    loopDelayMs: { p99: number; max: number };
  };
  assert.ok(pauses, "the server's GC and event-loop figures");
  assert.ok((pauses.gc.minor?.count ?? 0) > 0, "a 2 s run of a busy server has minor GCs");
  assert.ok(pauses.loopDelayMs.max >= pauses.loopDelayMs.p99 && pauses.loopDelayMs.p99 >= 0);
});
