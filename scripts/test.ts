/**
 * `npm test`: the one gate. Type-check, lint and format check, then every test suite against real
 * parts (SQLite files, WebSockets on loopback, and further suites as their packages add them).
 * Exits non-zero on the first failing step.
 */
import { spawnSync } from "node:child_process";

interface Step {
  name: string;
  command: string;
  args: string[];
}

const steps: Step[] = [
  { name: "typecheck", command: "tsc", args: ["-p", "."] },
  { name: "web typecheck (app)", command: "tsc", args: ["-p", "apps/web"] },
  {
    name: "web typecheck (node side)",
    command: "tsc",
    args: ["-p", "apps/web/tsconfig.node.json"],
  },
  { name: "lint + format", command: "biome", args: ["check", "."] },
  {
    name: "unit and integration tests",
    command: "node",
    args: [
      "--test",
      "--test-reporter=spec",
      "packages/*/test/**/*.test.ts",
      "bench/test/**/*.test.ts",
    ],
  },
  { name: "web component tests", command: "vitest", args: ["run", "--root", "apps/web"] },
  {
    name: "web storage contract (IndexedDB)",
    command: "node",
    args: ["--test", "--test-reporter=spec", "apps/web/test-node/*.test.ts"],
  },
  // Installs Debian's Chromium if missing, builds the app, drives two browsers against a Courier.
  { name: "web e2e", command: "node", args: ["apps/web/e2e/run.ts"] },
];

for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.command} ${step.args.join(" ")}`);
  const result = spawnSync(step.command, step.args, { stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`\n${step.name} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}
console.log("\nall checks passed");
