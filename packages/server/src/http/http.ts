import { ErrorCode } from "@courier/protocol";
import express, { type Express } from "express";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Groups } from "../delivery/groups.ts";
import type { Membership } from "../delivery/membership.ts";
import type { Bus } from "../routing/bus.ts";
import type { Store } from "../store/store.ts";
import { errorHandler, HttpError } from "./errors.ts";
import type { Metrics } from "./metrics.ts";
import { accountRoutes } from "./routes.accounts.ts";
import { conversationRoutes } from "./routes.conversations.ts";
import { deviceRoutes } from "./routes.devices.ts";
import { groupRoutes } from "./routes.groups.ts";
import { userRoutes } from "./routes.users.ts";

export interface HttpDeps {
  config: Config;
  store: Store;
  bus: Bus;
  membership: Membership;
  groups: Groups;
  metrics: Metrics;
  log: Logger;
  /** Extra mounts (the web app, push, media) added by their own modules. */
  extend?: (app: Express) => void;
}

/** The REST API under /api, health and metrics. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use("/api", express.json({ limit: "64kb" }));
  app.use("/api", accountRoutes(deps.store, deps.bus, deps.config));
  app.use("/api/devices", deviceRoutes(deps.store, deps.bus));
  app.use("/api/users", userRoutes(deps.store));
  app.use(
    "/api/conversations",
    conversationRoutes(deps.store, deps.bus, deps.membership, deps.store),
  );
  app.use("/api/groups", groupRoutes(deps.store, deps.groups, deps.membership));
  // Before the /api catch-all, so that extensions may mount under /api (push does).
  deps.extend?.(app);
  app.use("/api", (_req, _res, next) =>
    next(new HttpError(404, ErrorCode.notFound, "no such endpoint")),
  );
  // Ready for traffic: the bus can publish and the store answers. A load balancer takes a node
  // that answers 503 out of rotation until both are back.
  app.get("/healthz", (_req, res) => {
    void Promise.allSettled([deps.bus.ready(), deps.store.health()]).then(([bus, store]) => {
      if (bus.status === "fulfilled" && store.status === "fulfilled") {
        res.json({ ok: true });
        return;
      }
      res.status(503).json({
        ok: false,
        code: ErrorCode.unavailable,
        bus: bus.status === "fulfilled",
        store: store.status === "fulfilled",
      });
    });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(errorHandler(deps.log));
  return app;
}
