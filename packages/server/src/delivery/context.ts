import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Router } from "../routing/router.ts";
import type { GroupStore, Store, StoredMessage } from "../store/store.ts";
import type { Membership } from "./membership.ts";
import type { SeqWatermarks } from "./watermarks.ts";

/** What every delivery stage needs; built once per server in app.ts. */
export interface DeliveryContext {
  config: Config;
  store: Store;
  /** Highest seq this node has stored or routed per conversation (bounds optimistic receipts). */
  seqs: SeqWatermarks;
  /** The store's group operations (the same object as `store`). */
  groups?: GroupStore;
  router: Router;
  membership: Membership;
  metrics: Metrics;
  log: Logger;
  /** Called after a message is stored and routed, with the members it was for (push hooks in here). */
  onStored?: (message: StoredMessage, members: string[]) => void;
}
