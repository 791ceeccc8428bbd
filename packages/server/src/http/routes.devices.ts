import { ErrorCode } from "@courier/protocol";
import { Router } from "express";
import type { Bus } from "../routing/bus.ts";
import type { Store } from "../store/store.ts";
import { authOf, requireAuth } from "./auth.ts";
import { HttpError } from "./errors.ts";
import { deviceInfo } from "./views.ts";

/** A user's device sessions: list them, revoke one (its live connections close with 4003). */
export function deviceRoutes(store: Store, bus: Bus): Router {
  const router = Router();
  router.use(requireAuth(store));

  router.get("/", async (_req, res) => {
    const { user, device } = authOf(res);
    const devices = await store.devicesOf(user.id);
    res.json(devices.map((d) => deviceInfo(d, device.id)));
  });

  router.delete("/:id", async (req, res) => {
    const { user } = authOf(res);
    const deviceId = req.params.id ?? "";
    if (!(await store.revokeDevice(user.id, deviceId))) {
      throw new HttpError(404, ErrorCode.notFound, "no such device");
    }
    bus.publish(user.id, { revokeDevice: deviceId });
    res.status(204).end();
  });

  return router;
}
