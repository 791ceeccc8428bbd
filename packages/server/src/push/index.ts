import type { Express } from "express";
import type { NodeParts } from "../app.ts";
import type { Config } from "../config.ts";
import type { StoredMessage } from "../store/store.ts";
import { Dispatcher } from "./dispatcher.ts";
import { createPushMetrics } from "./metrics.ts";
import { SqlitePushStore } from "./push-store.sqlite.ts";
import type { PushStore } from "./push-store.ts";
import { withSubscriptionCache } from "./subscription-cache.ts";

/** How long a node trusts its cached view of a user's push subscriptions (see subscription-cache.ts). */
const subscriptionCacheMs = 10_000;

import { pushRoutes } from "./routes.ts";
import { ExpoSender } from "./sender.expo.ts";
import { WebPushSender } from "./sender.webpush.ts";
import { type ConnectedDevices, PushService } from "./service.ts";
import { loadVapidKeys } from "./vapid.ts";

/** Knobs for tests and for the cluster; production takes the defaults. */
export interface PushOptions {
  pushStore?: PushStore;
  /** Who is connected; defaults to the devices connected to this node's router. */
  connectedDevices?: ConnectedDevices;
  /** Accept http: endpoints (loopback test receivers); production requires https. */
  allowHttpEndpoints?: boolean;
  expoReceiptDelayMs?: number;
  retryBaseMs?: number;
  maxAttempts?: number;
  maxIntake?: number;
  maxQueued?: number;
}

export interface Push {
  readonly vapidPublicKey: string;
  /** Pass as `CourierOptions.onStored`. */
  onStored(message: StoredMessage, members: string[]): void;
  /** Pass as `CourierOptions.extendHttp`: binds push to the node's parts and mounts /api/push. */
  extendHttp(app: Express, parts: NodeParts): void;
  /** Resolves when no push work is left (tests). */
  idle(): Promise<void>;
  /** Call after the node closed: stops timers and sends, closes the push store. */
  close(): Promise<void>;
}

/**
 * Push notifications for one node: opens the push store and the VAPID keys, and returns the two
 * hooks to give `createCourier` plus `close`. The service itself is built in `extendHttp`,
 * which is the first moment the node's store, router and metrics exist (before it listens, so
 * before any message can be stored).
 */
export async function setupPush(config: Config, options: PushOptions = {}): Promise<Push> {
  const pushStore = withSubscriptionCache(
    options.pushStore ?? (await openPushStore(config)),
    subscriptionCacheMs,
  );
  const vapid = await loadVapidKeys(config.push, pushStore).catch(async (err: unknown) => {
    await pushStore.close();
    throw err;
  });
  const defaultPrivacy = config.retention === "relay" ? "none" : "full";
  let service: PushService | undefined;
  let dispatcher: Dispatcher | undefined;

  return {
    vapidPublicKey: vapid.publicKey,
    onStored(message, members) {
      service?.onStored(message, members);
    },
    extendHttp(app, parts) {
      const log = parts.log.child({ module: "push" });
      const depth = () => (service?.depth ?? 0) + (dispatcher?.depth ?? 0);
      const metrics = createPushMetrics(parts.metrics.registry, depth);
      const removeAddress = (address: string) => {
        pushStore.removeAddress(address).then(
          (removed) => removed && metrics.removed.inc(),
          (err: unknown) => log.warn({ err }, "removing a dead subscription failed"),
        );
      };
      dispatcher = new Dispatcher({
        senders: {
          web: new WebPushSender({ vapid, subject: config.push.vapidSubject }),
          expo: new ExpoSender({
            baseUrl: config.push.expoPushUrl.replace(/\/+$/, ""),
            accessToken: config.push.expoAccessToken,
            onDeadToken: removeAddress,
            log,
            ...(options.expoReceiptDelayMs === undefined
              ? {}
              : { receiptDelayMs: options.expoReceiptDelayMs }),
          }),
        },
        maxQueued: options.maxQueued ?? 10_000,
        maxInFlight: 64,
        maxAttempts: options.maxAttempts ?? 5,
        retryBaseMs: options.retryBaseMs ?? 1000,
        retryCapMs: 60_000,
        maxRetryAfterMs: 10 * 60_000,
        onGone: (job) => removeAddress(job.subscription.address),
        onOutcome: (job, outcome) =>
          metrics.sent.inc({ kind: job.subscription.kind, outcome: outcome.kind }),
        onDrop: (reason) => metrics.dropped.inc({ reason }),
        log,
      });
      const router = parts.router;
      service = new PushService({
        pushStore,
        knownUnsubscribed: (userIds, except) => pushStore.knownUnsubscribed(userIds, except),
        store: parts.store,
        connectedDevices:
          options.connectedDevices ?? (async (userId) => new Set(router.localDevices(userId))),
        dispatcher,
        metrics,
        log,
        defaultPrivacy,
        coalesceMs: config.push.coalesceMs,
        maxIntake: options.maxIntake ?? 10_000,
        maxPending: 50_000,
        concurrency: 4,
      });
      app.use(
        "/api/push",
        pushRoutes({
          store: parts.store,
          pushStore,
          vapidPublicKey: vapid.publicKey,
          defaultPrivacy,
          allowHttpEndpoints: options.allowHttpEndpoints ?? false,
        }),
      );
    },
    async idle() {
      while ((service?.depth ?? 0) > 0 || (dispatcher?.depth ?? 0) > 0) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await dispatcher?.idle();
    },
    async close() {
      service?.close();
      dispatcher?.close();
      await pushStore.close();
    },
  };
}

/** The push store beside the message store: PostgreSQL in a cluster, push.db otherwise. */
async function openPushStore(config: Config): Promise<PushStore> {
  if (config.databaseUrl) {
    const { PostgresPushStore } = await import("./push-store.postgres.ts");
    return PostgresPushStore.open({ url: config.databaseUrl });
  }
  return SqlitePushStore.open({ dataDir: config.dataDir });
}
