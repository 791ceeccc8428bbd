import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runQueueSeconds, runQueueWait, sampleProc, threadTimes } from "../src/proc.ts";

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

/** A process that spends `ms` in a loop of either system calls or arithmetic. */
function looping(kind: "syscalls" | "arithmetic", ms: number): ChildProcess {
  const body =
    kind === "syscalls"
      ? `const fs = require("node:fs"); const fd = fs.openSync("/dev/zero", "r"); const b = Buffer.alloc(65536); while (Date.now() < end) fs.readSync(fd, b);`
      : "let x = 0; while (Date.now() < end) x = (x * 31 + 7) % 1000003;";
  return spawn(process.execPath, ["-e", `const end = Date.now() + ${ms}; ${body}`], {
    stdio: "ignore",
  });
}

test("tells the kernel's share of a process's and a thread's CPU time", async () => {
  // Reading 64 KiB of /dev/zero is a kernel copy of 64 KiB per call: mostly system time.
  // An arithmetic loop makes no system calls: all user time.
  const children = [looping("syscalls", 2500), looping("arithmetic", 2500)];
  try {
    await sleep(300);
    const pids = children.map((c) => c.pid as number);
    const from = pids.map((pid) => ({ proc: sampleProc(pid), thread: threadTimes(pid) }));
    await sleep(1500);
    const shares = pids.map((pid, i) => {
      const proc = sampleProc(pid);
      const thread = threadTimes(pid);
      const before = from[i];
      assert.ok(before);
      const mainCpu = (thread.cpu.MainThread ?? 0) - (before.thread.cpu.MainThread ?? 0);
      const mainSystem = (thread.system.MainThread ?? 0) - (before.thread.system.MainThread ?? 0);
      assert.ok(mainCpu > 0.1, `the main thread ran ${mainCpu} s`);
      return {
        proc: (proc.system - before.proc.system) / (proc.cpu - before.proc.cpu),
        main: mainSystem / mainCpu,
      };
    });
    const [syscalls, arithmetic] = shares;
    assert.ok(syscalls && arithmetic);
    assert.ok(syscalls.proc > 0.4, `system share of the syscall loop: ${syscalls.proc}`);
    assert.ok(syscalls.main > 0.4, `system share of its main thread: ${syscalls.main}`);
    assert.ok(arithmetic.proc < 0.1, `system share of the arithmetic loop: ${arithmetic.proc}`);
    assert.ok(arithmetic.main < 0.1, `system share of its main thread: ${arithmetic.main}`);
  } finally {
    for (const child of children) child.kill();
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
  }
});
