import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import { configFromEnv } from "../../../src/config.ts";
import { type Push, type PushOptions, setupPush } from "../../../src/push/index.ts";
import { startCourier, type TestCourier } from "../../support/courier.ts";

export interface PushCourier extends TestCourier {
  push: Push;
}

/**
 * A real Courier with push wired exactly as main.ts wires it (setupPush → onStored + extendHttp),
 * accepting http: endpoints so that loopback receivers can stand in for the push services, and
 * with a short coalescing window and fast retries unless the test says otherwise.
 */
export async function startPushCourier(
  env: Record<string, string> = {},
  options: PushOptions = {},
  /** More mounts after push's (the web e2e serves the app's build). */
  extendHttp?: (app: Express) => void,
): Promise<PushCourier> {
  const ownDir = env.COURIER_DATA_DIR === undefined;
  const dataDir = env.COURIER_DATA_DIR ?? (await mkdtemp(path.join(tmpdir(), "courier-push-")));
  const fullEnv = { COURIER_PUSH_COALESCE_MS: "50", ...env, COURIER_DATA_DIR: dataDir };
  const push = await setupPush(configFromEnv(fullEnv), {
    allowHttpEndpoints: true,
    retryBaseMs: 50,
    ...options,
  });
  const courier = await startCourier(fullEnv, {
    onStored: push.onStored,
    extendHttp: (app, parts) => {
      push.extendHttp(app, parts);
      extendHttp?.(app);
    },
  });
  return Object.assign(courier, {
    push,
    async stop() {
      await courier.close();
      await push.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  });
}

export { metric } from "../../support/metrics.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
