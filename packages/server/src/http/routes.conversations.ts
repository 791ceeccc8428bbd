import {
  type ConversationSummary,
  CreateConversationBody,
  directConversationId,
  ErrorCode,
  Limits,
  type MessagePage,
  type MessageReceiptInfo,
} from "@courier/protocol";
import { Router } from "express";
import { toMessageInfo } from "../delivery/frames.ts";
import type { Membership } from "../delivery/membership.ts";
import type { Bus } from "../routing/bus.ts";
import type { ConversationRow, GroupStore, Store } from "../store/store.ts";
import { authOf, requireAuth } from "./auth.ts";
import { HttpError, parseBody } from "./errors.ts";
import { userInfo } from "./views.ts";

/** The conversation list, explicit creation of a direct conversation, and history pages. */
export function conversationRoutes(
  store: Store,
  bus: Bus,
  membership: Membership,
  groups?: GroupStore,
): Router {
  const router = Router();
  router.use(requireAuth(store));

  async function summarise(
    userId: string,
    rows: ConversationRow[],
  ): Promise<ConversationSummary[]> {
    const direct = rows.filter((row) => row.kind === "direct");
    const peerIds = direct.map((row) => row.members.find((m) => m !== userId) ?? userId);
    const [peers, presence] = await Promise.all([
      Promise.all(peerIds.map((id) => store.userById(id))),
      bus.presenceOf(peerIds),
    ]);
    const peerOf = new Map(direct.map((row, i) => [row.id, peers[i]]));
    return rows.flatMap((row): ConversationSummary[] => {
      const common = {
        id: row.id,
        kind: row.kind,
        memberCount: row.memberCount,
        lastSeq: row.lastSeq,
        lastMessage: row.lastMessage ? toMessageInfo(row.lastMessage) : null,
        unread: row.unread,
        readSeq: row.read,
        peerDelivered: row.othersDelivered,
        peerRead: row.othersRead,
      };
      if (row.kind === "group") return [{ ...common, title: row.name ?? "", peer: null }];
      const peer = peerOf.get(row.id);
      if (!peer) return [];
      const seen = presence.get(peer.id) ?? { online: false, lastSeen: 0 };
      return [{ ...common, title: peer.displayName, peer: { ...userInfo(peer), ...seen } }];
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
    // A group member's history starts at the message that added them.
    const firstVisible = await membership.joinedSeq(id, user.id);
    const messages = (await store.messagesBefore(id, before, limit + 1)).filter(
      (m) => m.seq >= firstVisible,
    );
    const more = messages.length > limit;
    const page: MessagePage = { messages: messages.slice(more ? 1 : 0).map(toMessageInfo), more };
    res.json(page);
  });

  router.get("/:id/messages/:seq/info", async (req, res) => {
    const { user } = authOf(res);
    const id = String(req.params.id ?? "");
    const seq = intQuery(req.params.seq, 0, "seq");
    if (!groups || !(await membership.isMember(id, user.id))) {
      throw new HttpError(403, ErrorCode.notMember, "not a member of this conversation");
    }
    const [message] = await store.messagesAfter(id, seq - 1, 1);
    if (!message || message.seq !== seq)
      throw new HttpError(404, ErrorCode.notFound, "no such message");
    const receipts = await groups.messageReceipts(id, seq);
    const info: MessageReceiptInfo = {
      seq,
      members: receipts
        .filter((r) => r.userId !== message.senderId)
        .map((r) => ({ user: r.userId, deliveredAt: r.deliveredAt, readAt: r.readAt })),
    };
    res.json(info);
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
