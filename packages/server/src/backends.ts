import type { Logger } from "pino";
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
export async function openStore(config: Config, log?: Logger): Promise<Store> {
  if (config.databaseUrl) {
    const { PostgresStore } = await import("./store/store.postgres.ts");
    return PostgresStore.open({
      url: config.databaseUrl,
      // An idle pooled connection died (PostgreSQL restarted, a proxy cut it): the pool
      // replaces it; the log says why the next calls may have failed.
      onIdleError: (err) => log?.warn({ err }, "PostgreSQL: idle connection lost"),
    });
  }
  return SqliteStore.open({ dataDir: config.dataDir });
}

export async function openBus(config: Config, log?: Logger): Promise<Bus> {
  if (config.natsUrl) {
    const { NatsBus } = await import("./routing/bus.nats.ts");
    return NatsBus.connect({
      url: config.natsUrl,
      onStatus: (status, server) => {
        if (status === "disconnected") log?.error({ server }, "NATS: disconnected, reconnecting");
        else log?.warn({ server }, "NATS: reconnected");
      },
    });
  }
  return new MemoryBus();
}
