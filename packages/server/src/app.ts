import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import pino, { type Logger } from "pino";
import { openBus, openStore } from "./backends.ts";
import type { Config } from "./config.ts";
import type { DeliveryContext } from "./delivery/context.ts";
import { Delivery } from "./delivery/delivery.ts";
import { GroupReceipts } from "./delivery/group-receipts.ts";
import { Groups } from "./delivery/groups.ts";
import { Membership } from "./delivery/membership.ts";
import { SeqWatermarks } from "./delivery/watermarks.ts";
import { Gateway } from "./gateway/gateway.ts";
import { createHttpApp } from "./http/http.ts";
import { createMetrics, type Metrics } from "./http/metrics.ts";
import { type Bus, clusterTopic } from "./routing/bus.ts";
import { Presence } from "./routing/presence.ts";
import { Router } from "./routing/router.ts";
import type { Store, StoredMessage } from "./store/store.ts";

export interface Courier {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  store: Store;
  bus: Bus;
  log: Logger;
  /** Closes connections (1001), stops listening, flushes and closes the store and bus. */
  close(): Promise<void>;
}

export interface CourierOptions {
  /** Mount extra HTTP routes (web app, push, media) before the error handler. */
  extendHttp?: (app: Express, parts: NodeParts) => void;
  /** Called for every newly stored message with its conversation's members. */
  onStored?: (message: StoredMessage, members: string[]) => void;
  /** Replace the backends chosen from the config (tests use this to inject faults). */
  store?: Store;
  bus?: Bus;
}

/** What `extendHttp` gets: the node's parts (push needs the router for who is connected). */
export interface NodeParts {
  store: Store;
  bus: Bus;
  log: Logger;
  router: Router;
  metrics: Metrics;
}

/** Builds and starts one Courier node: store, bus, HTTP API and WebSocket gateway. */
export async function createCourier(
  config: Config,
  options: CourierOptions = {},
): Promise<Courier> {
  const log = pino({ level: config.logLevel, base: { node: process.pid } });
  const store = options.store ?? (await openStore(config, log));
  const bus = options.bus ?? (await openBus(config, log));
  const metrics = createMetrics();
  const membership = new Membership(store, store);
  const presence = new Presence(bus, store, log);
  const seqs = new SeqWatermarks();
  const router = new Router(
    bus,
    (userId, online) => presence.changed(userId, online),
    // Messages stored on other nodes reach this one only through routing: note their seqs too.
    (frame) => {
      if (frame.t === "msg") seqs.note(frame.conv, frame.seq);
    },
  );
  presence.bind(router);
  // Every node drops a conversation's cached members when a group changes anywhere.
  const unsubscribeCluster = bus.subscribe(clusterTopic, (event) => {
    if (event.invalidateMembers !== undefined) membership.forget(event.invalidateMembers);
  });
  // Events published while the bus was cut off are lost: every local client catches up from its
  // cursors, which the store holds, over the socket it has (see Gateway.resyncAll).
  const offReconnect = bus.onReconnect((cutOffAt) => {
    membership.forgetAll();
    gateway.resyncAll(cutOffAt).then(
      (counts) => log.warn(counts, "bus reconnected: local connections resynced"),
      (err: unknown) => log.error({ err }, "bus reconnected: resync failed"),
    );
  });
  const ctx: DeliveryContext = {
    config,
    store,
    seqs,
    groups: store,
    router,
    membership,
    metrics,
    log,
    ...(options.onStored ? { onStored: options.onStored } : {}),
  };
  const groupReceipts = new GroupReceipts(ctx, store);
  const delivery = new Delivery(ctx, groupReceipts);
  const gateway = new Gateway(ctx, delivery);
  const app = createHttpApp({
    config,
    store,
    bus,
    membership,
    groups: new Groups(ctx, store),
    metrics,
    log,
    extend: (express) => options.extendHttp?.(express, { store, bus, log, router, metrics }),
  });
  const server = createServer(app);
  gateway.attach(server);
  await listen(server, config.port, config.host);
  const port = (server.address() as AddressInfo).port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info({ port, retention: config.retention }, "courier listening");

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    bus,
    log,
    close() {
      closing ??= (async () => {
        gateway.close();
        await delivery.close();
        groupReceipts.close();
        unsubscribeCluster();
        offReconnect();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await bus.close();
        await store.close();
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
