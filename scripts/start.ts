/**
 * `npm start`: builds the web app when its build is missing or older than its sources (the app,
 * and the SDK and protocol it bundles), then runs the server, which serves the build at `/`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const built = path.join(root, "apps/web/dist/index.html");
const sources = [
  "apps/web/src",
  "apps/web/public",
  "apps/web/index.html",
  "apps/web/vite.config.ts",
  "apps/web/package.json",
  "packages/client/src",
  "packages/protocol/src",
].map((p) => path.join(root, p));

/** The newest modification time of a file or of any file under a folder. */
function newest(file: string): number {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(file)) max = Math.max(max, newest(path.join(file, entry)));
  return max;
}

const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (stale && process.env.COURIER_SKIP_WEB_BUILD !== "1") {
  console.log("Building the web app (apps/web/dist is missing or older than its sources)…");
  const result = spawnSync("npm", ["run", "build", "-w", "@courier/web"], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.status !== 0) {
    console.error("The web app build failed; starting the server without it.");
  }
}

await import("../packages/server/src/main.ts");
