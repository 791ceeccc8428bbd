import {
  ErrorCode,
  MuteBody,
  type PrivacyLevel,
  type PushSettings,
  PushSettingsBody,
  PushSubscriptionBody,
  type VapidPublicKeyResponse,
} from "@courier/protocol";
import express, { type Router } from "express";
import { authOf, requireAuth } from "../http/auth.ts";
import { HttpError, parseBody } from "../http/errors.ts";
import type { Store } from "../store/store.ts";
import type { PushStore, PushSubscriptionRecord } from "./push-store.ts";

export interface PushRoutesDeps {
  store: Store;
  pushStore: PushStore;
  vapidPublicKey: string;
  defaultPrivacy: PrivacyLevel;
  /**
   * Accept plain-http endpoints. Off in production: the server would POST to whatever URL a
   * client names, and real push services are all https. Tests turn it on for loopback receivers.
   */
  allowHttpEndpoints: boolean;
}

/** /api/push: the VAPID key, the calling device's subscription, privacy level and mutes. */
export function pushRoutes(deps: PushRoutesDeps): Router {
  const router = express.Router();
  const auth = requireAuth(deps.store);

  router.get("/vapid-public-key", (_req, res) => {
    res.json({ publicKey: deps.vapidPublicKey } satisfies VapidPublicKeyResponse);
  });

  router.post("/subscriptions", auth, async (req, res) => {
    const body = parseBody(PushSubscriptionBody, req.body);
    const { user, device } = authOf(res);
    const base = { deviceId: device.id, userId: user.id, createdAt: Date.now() };
    let record: PushSubscriptionRecord;
    if ("expoToken" in body) {
      record = { ...base, kind: "expo", address: body.expoToken };
    } else {
      const protocol = new URL(body.endpoint).protocol;
      if (protocol !== "https:" && !(deps.allowHttpEndpoints && protocol === "http:")) {
        throw new HttpError(400, ErrorCode.badRequest, "endpoint: must be an https URL");
      }
      record = { ...base, kind: "web", address: body.endpoint, ...body.keys };
    }
    await deps.pushStore.putSubscription(record);
    res.status(201).json(await settingsOf(deps, user.id, device.id));
  });

  router.delete("/subscriptions", auth, async (_req, res) => {
    await deps.pushStore.removeSubscription(authOf(res).device.id);
    res.status(204).end();
  });

  router.get("/settings", auth, async (_req, res) => {
    const { user, device } = authOf(res);
    res.json(await settingsOf(deps, user.id, device.id));
  });

  router.put("/settings", auth, async (req, res) => {
    const body = parseBody(PushSettingsBody, req.body);
    const { user, device } = authOf(res);
    await deps.pushStore.setPrivacy(user.id, body.privacy);
    res.json(await settingsOf(deps, user.id, device.id));
  });

  router.put("/mutes/:conv", auth, async (req, res) => {
    const body = parseBody(MuteBody, req.body ?? {});
    const conv = String(req.params.conv);
    const { user } = authOf(res);
    // Unknown and foreign conversations answer alike, so that ids cannot be probed.
    const members = await deps.store.membersOf(conv);
    if (!members?.includes(user.id)) {
      throw new HttpError(403, ErrorCode.notMember, "not a member of this conversation");
    }
    await deps.pushStore.mute(user.id, conv, body.until ?? null);
    res.status(204).end();
  });

  router.delete("/mutes/:conv", auth, async (req, res) => {
    await deps.pushStore.unmute(authOf(res).user.id, String(req.params.conv));
    res.status(204).end();
  });

  return router;
}

async function settingsOf(
  deps: PushRoutesDeps,
  userId: string,
  deviceId: string,
): Promise<PushSettings> {
  const [chosen, subscription, mutes] = await Promise.all([
    deps.pushStore.privacyOf([userId]),
    deps.pushStore.subscriptionOf(deviceId),
    deps.pushStore.mutesOf(userId, Date.now()),
  ]);
  const privacy = chosen.get(userId);
  return {
    privacy: privacy ?? deps.defaultPrivacy,
    privacyIsDefault: privacy === undefined,
    subscription: subscription?.kind ?? null,
    mutes: mutes.map((m) => ({ conv: m.conversationId, until: m.until })),
  };
}
