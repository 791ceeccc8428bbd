import {
  type AuthResponse,
  ErrorCode,
  LoginBody,
  RegisterBody,
  UpdateMeBody,
} from "@courier/protocol";
import { Router } from "express";
import type { Config } from "../config.ts";
import type { Bus } from "../routing/bus.ts";
import { type Store, StoreConflictError, type StoredUser } from "../store/store.ts";
import { authOf, requireAuth } from "./auth.ts";
import { HttpError, parseBody } from "./errors.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { hashToken, newToken } from "./tokens.ts";
import { deviceInfo, userInfo } from "./views.ts";

/** Register, log in (one device session per login), log out, and the caller's own profile. */
export function accountRoutes(store: Store, bus: Bus, config: Config): Router {
  const router = Router();
  const cost = { memoryKib: config.argon2MemoryKib, timeCost: config.argon2TimeCost };
  // Verified against when the username is unknown, so that a failed login takes as long either way.
  const decoy = hashPassword("decoy password, never matches", cost);

  async function startSession(
    user: StoredUser,
    deviceName: string | undefined,
  ): Promise<AuthResponse> {
    const token = newToken();
    const device = await store.createDevice({
      userId: user.id,
      name: deviceName ?? "Unnamed device",
      tokenHash: hashToken(token),
    });
    return { token, user: userInfo(user), device: deviceInfo(device, device.id) };
  }

  router.post("/register", async (req, res) => {
    const body = parseBody(RegisterBody, req.body);
    const passwordHash = await hashPassword(body.password, cost);
    let user: StoredUser;
    try {
      user = await store.createUser({
        username: body.username,
        displayName: body.displayName ?? body.username,
        passwordHash,
      });
    } catch (err) {
      if (err instanceof StoreConflictError) {
        throw new HttpError(409, ErrorCode.conflict, "username is taken");
      }
      throw err;
    }
    res.status(201).json(await startSession(user, body.deviceName));
  });

  router.post("/login", async (req, res) => {
    const body = parseBody(LoginBody, req.body);
    const user = await store.userByName(body.username.toLowerCase());
    const ok = user
      ? await verifyPassword(user.passwordHash, body.password)
      : await verifyPassword(await decoy, body.password).then(() => false);
    if (!user || !ok)
      throw new HttpError(401, ErrorCode.unauthorized, "wrong username or password");
    res.json(await startSession(user, body.deviceName));
  });

  router.post("/logout", requireAuth(store), async (_req, res) => {
    const { user, device } = authOf(res);
    await store.revokeDevice(user.id, device.id);
    bus.publish(user.id, { revokeDevice: device.id });
    res.status(204).end();
  });

  router.get("/me", requireAuth(store), (_req, res) => {
    res.json(userInfo(authOf(res).user));
  });

  router.patch("/me", requireAuth(store), async (req, res) => {
    const body = parseBody(UpdateMeBody, req.body);
    const { user } = authOf(res);
    await store.setDisplayName(user.id, body.displayName);
    res.json(userInfo({ ...user, displayName: body.displayName }));
  });

  return router;
}
