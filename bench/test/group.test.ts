import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Runs `npm run bench -- group ...` as a user would and returns its final JSON line. */
function runGroup(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [main, "group", ...args, "--quiet"],
      { timeout: 15_000, maxBuffer: 16 * 1024 * 1024 },
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

function assertEveryMemberOnce(r: Record<string, unknown>, path: string): void {
  assert.equal(r.bench, "group");
  assert.equal(r.path, path);
  assert.equal(r.online, 20, "every member online");
  assert.equal(r.expected, 100, "20 members × (2 warm-up + 3 measured) messages");
  assert.equal(r.received, 100, "every member got every message");
  assert.equal(r.doubles, 0, "nothing doubled");
  assert.equal(r.membersComplete, 20);
  assert.equal(r.incomplete, 0);
  assert.equal(r.ok, true);
  const last = r.lastMs as { count: number; p50: number; max: number };
  assert.equal(last.count, 3, "one timing per measured send, none for the warm-up");
  assert.ok(last.p50 > 0 && last.max >= last.p50);
  assert.ok(r.serverPauses, "the server's GC and event-loop figures over the send phase");
}

/** 20 members, 2 warm-up and 3 measured sends, 50 ms apart. */
const twentyMembers = ["--members", "20", "--sends", "3", "--warmup-sends", "2", "--gap", "50"];

test("group bench, small path: 20 raw members (the default) get each of 5 messages exactly once", async () => {
  const r = await runGroup(twentyMembers);
  assertEveryMemberOnce(r, "small");
  assert.equal(r.driver, "raw");
});

test("group bench, large path (threshold 8): 20 raw members get each of 5 messages once, through the group's event", async () => {
  assertEveryMemberOnce(await runGroup([...twentyMembers, "--large-threshold", "8"]), "large");
});

test("group bench with SDK members (--sdk): each of 5 messages exactly once, on both paths", async () => {
  const small = await runGroup([...twentyMembers, "--sdk"]);
  assertEveryMemberOnce(small, "small");
  assert.equal(small.driver, "sdk");
  assertEveryMemberOnce(
    await runGroup([...twentyMembers, "--sdk", "--large-threshold", "8"]),
    "large",
  );
});

test("group bench with raw members, large path, messages too big to ride inline: notify, then pull", async () => {
  // 5,000 characters of text is past inlineMessageChars (4,096): each message comes as a notify.
  const r = await runGroup([...twentyMembers, "--large-threshold", "8", "--size", "5000"]);
  assertEveryMemberOnce(r, "large");
  assert.deepEqual(r.errors, {});
});
