import type { Config } from "./config.ts";
import { MemoryBus } from "./routing/bus.memory.ts";
import type { Bus } from "./routing/bus.ts";
import { SqliteStore } from "./store/store.sqlite.ts";
import type { Store } from "./store/store.ts";

/**
 * Picks each seam's implementation from the configuration. This is the only place that knows
 * which backends exist; everything else sees the interfaces. The cluster backends are loaded
 * only when asked for, so the embedded server never loads `pg` or `nats`.
 */
export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl) {
    const { PostgresStore } = await import("./store/store.postgres.ts");
    return PostgresStore.open({ url: config.databaseUrl });
  }
  return SqliteStore.open({ dataDir: config.dataDir });
}

export async function openBus(config: Config): Promise<Bus> {
  if (config.natsUrl) {
    const { NatsBus } = await import("./routing/bus.nats.ts");
    return NatsBus.connect({ url: config.natsUrl });
  }
  return new MemoryBus();
}
