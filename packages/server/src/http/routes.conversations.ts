import {
  type ConversationSummary,
  CreateConversationBody,
  directConversationId,
  ErrorCode,
  Limits,
  type MessagePage,
} from "@courier/protocol";
import { Router } from "express";
import { toMessageInfo } from "../delivery/frames.ts";
import type { Membership } from "../delivery/membership.ts";
import type { Bus } from "../routing/bus.ts";
import type { ConversationRow, Store } from "../store/store.ts";
import { authOf, requireAuth } from "./auth.ts";
import { HttpError, parseBody } from "./errors.ts";
import { userInfo } from "./views.ts";

/** The conversation list, explicit creation of a direct conversation, and history pages. */
export function conversationRoutes(store: Store, bus: Bus, membership: Membership): Router {
  const router = Router();
  router.use(requireAuth(store));

  async function summarise(
    userId: string,
    rows: ConversationRow[],
  ): Promise<ConversationSummary[]> {
    const peerIds = rows.map((row) => row.members.find((m) => m !== userId) ?? userId);
    const [peers, presence] = await Promise.all([
      Promise.all(peerIds.map((id) => store.userById(id))),
      bus.presenceOf(peerIds),
    ]);
    return rows.flatMap((row, i) => {
      const peer = peers[i];
      if (!peer) return [];
      const peerCursor = row.others.find((o) => o.userId === peer.id);
      return [
        {
          id: row.id,
          kind: row.kind,
          title: peer.displayName,
          peer: { ...userInfo(peer), ...(presence.get(peer.id) ?? { online: false, lastSeen: 0 }) },
          memberCount: row.members.length,
          lastSeq: row.lastSeq,
          lastMessage: row.lastMessage ? toMessageInfo(row.lastMessage) : null,
          unread: row.unread,
          readSeq: row.read,
          peerDelivered: peerCursor?.delivered ?? 0,
          peerRead: peerCursor?.read ?? 0,
        },
      ];
    });
  }

  router.get("/", async (_req, res) => {
    const { user } = authOf(res);
    res.json(await summarise(user.id, await store.conversationsOf(user.id)));
  });

  router.post("/", async (req, res) => {
    const { user } = authOf(res);
    const body = parseBody(CreateConversationBody, req.body);
    if (body.with === user.id)
      throw new HttpError(400, ErrorCode.badRequest, "with: cannot be yourself");
    const id = directConversationId(user.id, body.with);
    if (!(await membership.ensureDirect(id, user.id, body.with))) {
      throw new HttpError(404, ErrorCode.noSuchUser, "no such user");
    }
    const rows = await store.conversationsOf(user.id);
    const [summary] = await summarise(
      user.id,
      rows.filter((r) => r.id === id),
    );
    res.status(201).json(summary);
  });

  router.get("/:id/messages", async (req, res) => {
    const { user } = authOf(res);
    const id = req.params.id ?? "";
    if (!(await membership.isMember(id, user.id))) {
      throw new HttpError(403, ErrorCode.notMember, "not a member of this conversation");
    }
    const before = intQuery(req.query.before, Number.MAX_SAFE_INTEGER, "before");
    const limit = Math.min(intQuery(req.query.limit, 50, "limit"), Limits.maxPageSize);
    const messages = await store.messagesBefore(id, before, limit + 1);
    const more = messages.length > limit;
    const page: MessagePage = { messages: messages.slice(more ? 1 : 0).map(toMessageInfo), more };
    res.json(page);
  });

  return router;
}

function intQuery(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < 1) {
    throw new HttpError(400, ErrorCode.badRequest, `${name}: a positive integer`);
  }
  return n;
}
