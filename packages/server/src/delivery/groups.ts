import type { CreateGroupBody, GroupInfo } from "@courier/protocol";
import { clusterTopic } from "../routing/bus.ts";
import type { GroupChange, GroupChangeResult, GroupStore, StoredGroup } from "../store/store.ts";
import type { DeliveryContext } from "./context.ts";
import { fanOut } from "./fanout.ts";
import { toMessageFrame } from "./frames.ts";

export interface Actor {
  userId: string;
  deviceId: string;
}

/** A group change as the REST layer asks for it (limits and actor are added here). */
export type GroupChangeRequest =
  | { kind: "add"; users: string[] }
  | { kind: "remove"; user: string }
  | { kind: "leave" }
  | { kind: "promote"; user: string }
  | { kind: "rename"; name: string };

/**
 * Creating and changing groups. The store applies a change and writes its system message in one
 * transaction; this then tells everyone: the system message is routed like any message (so
 * offline members get it on sync), removed members get it too (their last message from the
 * group), every node drops its cached member list, and large-group notify subscriptions follow
 * the membership.
 */
export class Groups {
  readonly #ctx: DeliveryContext;
  readonly #store: GroupStore;

  constructor(ctx: DeliveryContext, store: GroupStore) {
    this.#ctx = ctx;
    this.#store = store;
  }

  async create(actor: Actor, body: CreateGroupBody): Promise<GroupInfo> {
    const result = await this.#store.createGroup({
      name: body.name,
      creatorId: actor.userId,
      creatorDeviceId: actor.deviceId,
      members: [...new Set(body.members.filter((m) => m !== actor.userId))],
      maxMembers: this.#ctx.config.maxGroupSize,
    });
    this.#announce(result, 0);
    return groupInfo(result.group, result.message.seq);
  }

  async change(
    actor: Actor,
    conversationId: string,
    request: GroupChangeRequest,
  ): Promise<GroupInfo> {
    const before = (await this.#ctx.membership.membersOf(conversationId))?.length ?? 0;
    const change = {
      ...request,
      conversationId,
      actorId: actor.userId,
      actorDeviceId: actor.deviceId,
      maxMembers: this.#ctx.config.maxGroupSize,
    } as GroupChange;
    const result = await this.#store.changeGroup(change);
    this.#announce(result, before);
    return groupInfo(result.group, result.message.seq);
  }

  #announce(result: GroupChangeResult, sizeBefore: number): void {
    const { router, membership, config } = this.#ctx;
    const conversationId = result.group.id;
    membership.forget(conversationId);
    router.toUser(clusterTopic, { invalidateMembers: conversationId });
    const members = result.group.members.map((m) => m.userId);
    const large = members.length > config.largeGroupThreshold;
    if (large) {
      // Connected members must hear this group's notifies from now on: all of them when the
      // group just became large, the newcomers otherwise.
      const wasLarge = sizeBefore > config.largeGroupThreshold;
      const joining = wasLarge ? newcomers(result) : members;
      // The joining members' nodes subscribe to the group's topic only when this event reaches
      // them, too late for this change's own notify on that topic: it rides along instead.
      const frame = { t: "notify", conv: conversationId, seq: result.message.seq } as const;
      for (const userId of joining) router.toUser(userId, { joinGroup: conversationId, frame });
    }
    fanOut(this.#ctx, result.message, members);
    const frame = toMessageFrame(result.message);
    for (const userId of result.removed) {
      router.toUser(userId, { frame, leaveGroup: conversationId });
    }
    this.#ctx.metrics.messagesStored.inc();
  }

  info(conversationId: string): Promise<StoredGroup | undefined> {
    return this.#store.groupInfo(conversationId);
  }
}

/** Members whose joined seq is this change's system message: the ones it added. */
function newcomers(result: GroupChangeResult): string[] {
  return result.group.members
    .filter((m) => m.joinedSeq === result.message.seq)
    .map((m) => m.userId);
}

export function groupInfo(group: StoredGroup, seq?: number): GroupInfo {
  return {
    id: group.id,
    name: group.name,
    createdAt: group.createdAt,
    members: group.members.map((m) => ({
      id: m.userId,
      username: m.username,
      displayName: m.displayName,
      role: m.role,
      joinedSeq: m.joinedSeq,
    })),
    ...(seq === undefined ? {} : { seq }),
  };
}
