/**
 * The web e2e step of `npm test`: makes sure Debian's Chromium is installed (apt-get, as root,
 * when /usr/bin/chromium is missing), builds the web app, then runs the e2e tests with Node's
 * test runner. Everything is bounded in time: the browser and server are started and stopped by
 * the tests themselves, and the whole run is killed if it overstays.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { chromiumPath } from "./browser.ts";

const web = path.resolve(import.meta.dirname, "..");
const minutes = 60_000;

function step(name: string, command: string, args: string[], timeout: number, cwd = web): void {
  console.log(`--- ${name}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: "inherit",
    timeout,
    killSignal: "SIGKILL",
  });
  if (result.status !== 0) {
    console.error(
      `${name} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`,
    );
    process.exit(result.status || 1);
  }
}

if (!existsSync(chromiumPath)) {
  step("install chromium", "apt-get", ["update"], 5 * minutes);
  step("install chromium", "apt-get", ["install", "-y", "chromium"], 10 * minutes);
}
step("build the web app", "vite", ["build", "--logLevel", "warn"], 3 * minutes);
step(
  "e2e",
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=1", "e2e/chat.e2e.ts", "e2e/push.e2e.ts"],
  6 * minutes,
);
