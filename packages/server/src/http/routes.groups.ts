import {
  AddMembersBody,
  CreateGroupBody,
  ErrorCode,
  PromoteBody,
  RenameGroupBody,
} from "@courier/protocol";
import { type Request, type Response, Router } from "express";
import { type GroupChangeRequest, type Groups, groupInfo } from "../delivery/groups.ts";
import type { Membership } from "../delivery/membership.ts";
import { type Store, StoreRejectedError } from "../store/store.ts";
import { authOf, requireAuth } from "./auth.ts";
import { HttpError, parseBody } from "./errors.ts";

const statusOf: Record<StoreRejectedError["code"], number> = {
  not_member: 403,
  forbidden: 403,
  no_such_user: 404,
  limit_reached: 422,
  conflict: 409,
};

/** Creating groups and changing their membership, name and admins. */
export function groupRoutes(store: Store, groups: Groups, membership: Membership): Router {
  const router = Router();
  router.use(requireAuth(store));

  /** Runs a change, turning the store's refusals into HTTP errors with the same codes. */
  async function change(req: Request, res: Response, request: GroupChangeRequest) {
    const { user, device } = authOf(res);
    try {
      const id = String(req.params.id ?? "");
      const info = await groups.change({ userId: user.id, deviceId: device.id }, id, request);
      res.json(info);
    } catch (err) {
      throw rejected(err);
    }
  }

  router.post("/", async (req, res) => {
    const { user, device } = authOf(res);
    const body = parseBody(CreateGroupBody, req.body);
    try {
      res.status(201).json(await groups.create({ userId: user.id, deviceId: device.id }, body));
    } catch (err) {
      throw rejected(err);
    }
  });

  router.get("/:id", async (req, res) => {
    const { user } = authOf(res);
    const id = String(req.params.id ?? "");
    if (!(await membership.isMember(id, user.id))) {
      throw new HttpError(403, ErrorCode.notMember, "not a member of this group");
    }
    const group = await groups.info(id);
    if (!group) throw new HttpError(403, ErrorCode.notMember, "not a member of this group");
    res.json(groupInfo(group));
  });

  router.patch("/:id", (req, res) =>
    change(req, res, { kind: "rename", name: parseBody(RenameGroupBody, req.body).name }),
  );
  router.post("/:id/members", (req, res) =>
    change(req, res, { kind: "add", users: parseBody(AddMembersBody, req.body).users }),
  );
  router.delete("/:id/members/:user", (req, res) => {
    const target = String(req.params.user ?? "");
    return change(
      req,
      res,
      target === authOf(res).user.id ? { kind: "leave" } : { kind: "remove", user: target },
    );
  });
  router.post("/:id/admins", (req, res) =>
    change(req, res, { kind: "promote", user: parseBody(PromoteBody, req.body).user }),
  );
  router.post("/:id/leave", (req, res) => change(req, res, { kind: "leave" }));

  return router;
}

function rejected(err: unknown): unknown {
  if (err instanceof StoreRejectedError)
    return new HttpError(statusOf[err.code], err.code, err.message);
  return err;
}
