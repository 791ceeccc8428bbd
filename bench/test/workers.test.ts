import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { generatorProcs, WorkerPool } from "../src/workers.ts";

test("one generator process per 10,000 clients unless --procs is given", () => {
  const auto = { procs: 1, procsGiven: false };
  assert.equal(generatorProcs(auto, 2_000), 1);
  assert.equal(generatorProcs(auto, 10_000), 1);
  assert.equal(generatorProcs(auto, 10_001), 2);
  assert.equal(generatorProcs(auto, 20_000), 2);
});

test("--procs wins, but never more processes than clients", () => {
  assert.equal(generatorProcs({ procs: 3, procsGiven: true }, 2_000), 3);
  assert.equal(generatorProcs({ procs: 4, procsGiven: true }, 2), 2);
});

test("generator processes run without allocation-site pretenuring, like the server", async () => {
  const script = fileURLToPath(new URL("./support/flags-worker.ts", import.meta.url));
  const pool = new WorkerPool(1, { script, execArgv: ["--stack-size=2000"] });
  let timer: NodeJS.Timeout | undefined;
  try {
    const execArgv = await new Promise<string[]>((resolve, reject) => {
      // A worker that never reports fails the test, and the pool still stops below.
      timer = setTimeout(() => reject(new Error("the worker did not report its flags")), 15_000);
      pool.onMessage((_i, message) => {
        const m = message as unknown as { type: string; execArgv?: string[] };
        if (m.type === "flags") resolve(m.execArgv ?? []);
      });
    });
    assert.ok(execArgv.includes("--no-allocation-site-pretenuring"), execArgv.join(" "));
    // The caller's own flags still come through.
    assert.ok(execArgv.includes("--stack-size=2000"), execArgv.join(" "));
  } finally {
    clearTimeout(timer);
    await pool.stop();
  }
});
