import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Courier, type CourierOptions, createCourier } from "../../src/app.ts";
import { configFromEnv } from "../../src/config.ts";

export interface TestCourier extends Courier {
  dataDir: string;
  /** Closes the server and deletes its data directory. */
  stop(): Promise<void>;
}

/**
 * A real Courier on an ephemeral loopback port with its own SQLite file in a temp directory.
 * argon2 is turned down so that tests can register many users quickly; it is still argon2id.
 */
export async function startCourier(
  env: Record<string, string> = {},
  options: CourierOptions = {},
): Promise<TestCourier> {
  const dataDir = env.COURIER_DATA_DIR ?? (await mkdtemp(path.join(tmpdir(), "courier-test-")));
  const config = configFromEnv({
    PORT: "0",
    HOST: "127.0.0.1",
    COURIER_DATA_DIR: dataDir,
    COURIER_ARGON2_MEMORY_KIB: "1024",
    COURIER_ARGON2_TIME_COST: "1",
    COURIER_LOG_LEVEL: "silent",
    ...env,
  });
  const courier = await createCourier(config, options);
  return Object.assign(courier, {
    dataDir,
    async stop() {
      await courier.close();
      if (env.COURIER_DATA_DIR === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  });
}
