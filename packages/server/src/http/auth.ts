import { ErrorCode } from "@courier/protocol";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Store, StoredDevice, StoredUser } from "../store/store.ts";
import { HttpError } from "./errors.ts";
import { deviceForToken } from "./tokens.ts";

export interface Authenticated {
  user: StoredUser;
  device: StoredDevice;
}

/** Bearer-token guard for REST routes: puts the caller in `res.locals.auth`. */
export function requireAuth(store: Store): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match?.[1]) {
      next(new HttpError(401, ErrorCode.unauthorized, "missing bearer token"));
      return;
    }
    deviceForToken(store, match[1])
      .then(async (device) => {
        const user = device && (await store.userById(device.userId));
        if (!device || !user)
          throw new HttpError(401, ErrorCode.unauthorized, "unknown or revoked token");
        res.locals.auth = { user, device } satisfies Authenticated;
        next();
      })
      .catch(next);
  };
}

export function authOf(res: Response): Authenticated {
  return res.locals.auth as Authenticated;
}
