import { ErrorCode } from "@courier/protocol";
import { Router } from "express";
import type { Store } from "../store/store.ts";
import { requireAuth } from "./auth.ts";
import { HttpError } from "./errors.ts";
import { userInfo } from "./views.ts";

const maxResults = 20;

/** Finding people: by exact username, or by username prefix. */
export function userRoutes(store: Store): Router {
  const router = Router();
  router.use(requireAuth(store));

  router.get("/", async (req, res) => {
    const prefix = typeof req.query.prefix === "string" ? req.query.prefix.toLowerCase() : "";
    if (prefix.length < 1 || prefix.length > 32) {
      throw new HttpError(400, ErrorCode.badRequest, "prefix: 1 to 32 characters");
    }
    const users = await store.searchUsers(prefix, maxResults);
    res.json(users.map(userInfo));
  });

  router.get("/by-name/:username", async (req, res) => {
    const user = await store.userByName((req.params.username ?? "").toLowerCase());
    if (!user) throw new HttpError(404, ErrorCode.notFound, "no such user");
    res.json(userInfo(user));
  });

  return router;
}
