/**
 * The web e2e step of `npm test`: makes sure Debian's Chromium is installed (apt-get, as root,
 * when /usr/bin/chromium is missing), builds the web app, then runs the e2e tests with Node's
 * test runner. Everything is bounded in time: the browser and server are started and stopped by
 * the tests themselves, and each step runs in its own process group, which is killed whole when
 * the step overstays or ends (so no browser or server outlives a timed-out run).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { chromiumPath } from "./browser.ts";

const web = path.resolve(import.meta.dirname, "..");
const minutes = 60_000;

async function step(name: string, command: string, args: string[], timeout: number) {
  console.log(`--- ${name}: ${command} ${args.join(" ")}`);
  const child = spawn(command, args, { cwd: web, stdio: "inherit", detached: true });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is already gone.
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeout);
  const status = await new Promise<number>((resolve) => {
    child.on("error", () => resolve(1));
    child.on("exit", (code) => resolve(code ?? 1));
  });
  clearTimeout(timer);
  killGroup();
  if (status !== 0 || timedOut) {
    console.error(
      `${name} failed (${timedOut ? `timed out after ${timeout} ms` : `exit ${status}`})`,
    );
    process.exit(status || 1);
  }
}

if (!existsSync(chromiumPath)) {
  await step("install chromium", "apt-get", ["update"], 5 * minutes);
  await step("install chromium", "apt-get", ["install", "-y", "chromium"], 10 * minutes);
}
await step("build the web app", "vite", ["build", "--logLevel", "warn"], 3 * minutes);
await step(
  "e2e",
  process.execPath,
  [
    "--test",
    "--test-reporter=spec",
    "--test-concurrency=1",
    "e2e/chat.e2e.ts",
    "e2e/push.e2e.ts",
    "e2e/groups.e2e.ts",
  ],
  6 * minutes,
);
