import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runQueueSeconds, runQueueWait, threadTimes } from "../src/proc.ts";

test("reads the run-queue delay from a schedstat line, in seconds", () => {
  assert.equal(runQueueSeconds("9120000000 456789000 7\n"), 0.456789);
  assert.equal(runQueueSeconds(""), undefined);
});

/** A process that keeps one CPU busy for `ms`, pinned to CPU 0. */
function busyOnCpu0(ms: number): ChildProcess {
  const loop = `const end = Date.now() + ${ms}; while (Date.now() < end);`;
  return spawn("taskset", ["-c", "0", process.execPath, "-e", loop], { stdio: "ignore" });
}

test("counts the time threads were runnable but waiting for a CPU", async () => {
  // Two busy processes on one CPU: each runs about half the time and waits the other half.
  const children = [busyOnCpu0(2500), busyOnCpu0(2500)];
  try {
    const pids = children.map((c) => c.pid as number);
    await sleep(300); // both started
    const waitedFrom = runQueueWait(pids);
    const cpuFrom = pids.map((pid) => threadTimes(pid).cpu.MainThread ?? 0);
    await sleep(1500);
    const waited = runQueueWait(pids) - waitedFrom;
    const cpu = pids.map((pid, i) => (threadTimes(pid).cpu.MainThread ?? 0) - (cpuFrom[i] ?? 0));
    // Over 1.5 s the pair had 1.5 CPU-seconds between them and wanted 3.
    // Anything else on CPU 0 can only make them wait longer.
    assert.ok(waited > 1, `waited ${waited} s`);
    for (const c of cpu) {
      assert.ok(c > 0.05 && c < 1.2, `a process had ${c} CPU-seconds of 1.5 s on a shared CPU`);
    }
  } finally {
    for (const child of children) child.kill();
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
  }
});
