import { CloseCode, type ServerFrame } from "@courier/protocol";
import type { Connection } from "../gateway/connection.ts";
import { type Bus, type BusEvent, groupTopic } from "./bus.ts";

interface LocalUser {
  connections: Connection[];
  unsubscribe: () => void;
}

interface LocalGroup {
  connections: Set<Connection>;
  unsubscribe: () => void;
}

/**
 * Who is connected to this node, and the way out to everyone else. Routing always goes through
 * the bus: in a single process the memory bus calls straight back into `#deliverLocal`, in a
 * cluster NATS carries the event to whichever node holds the user.
 */
export class Router {
  readonly #bus: Bus;
  readonly #local = new Map<string, LocalUser>();
  /** Large groups with members connected here: one bus subscription per group, not per member. */
  readonly #groups = new Map<string, LocalGroup>();
  readonly #onPresence: (userId: string, online: boolean) => void;

  readonly #onRouted: ((frame: ServerFrame) => void) | undefined;

  /** `onRouted` sees each routed frame once (not once per connection), e.g. to note seqs. */
  constructor(
    bus: Bus,
    onPresence: (userId: string, online: boolean) => void,
    onRouted?: (frame: ServerFrame) => void,
  ) {
    this.#bus = bus;
    this.#onPresence = onPresence;
    this.#onRouted = onRouted;
  }

  /** Registers an authenticated connection; the user's events start reaching it now. */
  attach(connection: Connection): void {
    const userId = connection.userId;
    let user = this.#local.get(userId);
    if (!user) {
      const unsubscribe = this.#bus.subscribe(userId, (event) => this.#deliverLocal(userId, event));
      user = { connections: [], unsubscribe };
      this.#local.set(userId, user);
      this.#onPresence(userId, true);
    }
    user.connections.push(connection);
  }

  detach(connection: Connection): void {
    for (const conversationId of connection.groups ?? []) this.#leave(connection, conversationId);
    connection.groups = null;
    const user = this.#local.get(connection.userId);
    if (!user) return;
    const index = user.connections.indexOf(connection);
    if (index === -1) return;
    user.connections.splice(index, 1);
    if (user.connections.length === 0) {
      user.unsubscribe();
      this.#local.delete(connection.userId);
      this.#onPresence(connection.userId, false);
    }
  }

  /** Starts delivering a large group's notifies to the connection. */
  joinGroup(connection: Connection, conversationId: string): void {
    if (connection.closed || connection.groups?.includes(conversationId)) return;
    let group = this.#groups.get(conversationId);
    if (!group) {
      const connections = new Set<Connection>();
      const unsubscribe = this.#bus.subscribe(groupTopic(conversationId), (event) => {
        const frame = event.frame;
        if (frame === undefined) return;
        for (const c of connections) if (wants(c, event)) c.deliver(frame);
      });
      group = { connections, unsubscribe };
      this.#groups.set(conversationId, group);
    }
    group.connections.add(connection);
    connection.groups ??= [];
    connection.groups.push(conversationId);
  }

  /** Sends an event to every connected member of a large group, one bus publish in all. */
  toGroup(conversationId: string, event: BusEvent): void {
    this.#bus.publish(groupTopic(conversationId), event);
  }

  #leave(connection: Connection, conversationId: string): void {
    const group = this.#groups.get(conversationId);
    if (!group) return;
    group.connections.delete(connection);
    if (group.connections.size === 0) {
      group.unsubscribe();
      this.#groups.delete(conversationId);
    }
  }

  /** Sends an event to every device of the user, wherever it is connected. */
  toUser(userId: string, event: BusEvent): void {
    this.#bus.publish(userId, event);
  }

  /** Resolves once this node's subscriptions so far are in effect on the bus. */
  ready(): Promise<void> {
    return this.#bus.ready();
  }

  /** Whether the user has a connection on this node. */
  hasLocal(userId: string): boolean {
    return this.#local.has(userId);
  }

  /** The device ids the user has connected to this node. */
  localDevices(userId: string): string[] {
    return this.#local.get(userId)?.connections.map((c) => c.deviceId) ?? [];
  }

  get connectedUsers(): number {
    return this.#local.size;
  }

  #deliverLocal(userId: string, event: BusEvent): void {
    const user = this.#local.get(userId);
    if (!user) return;
    if (event.frame) this.#onRouted?.(event.frame);
    // Copy when a connection may close: closing detaches it from this very list. The common
    // event, a frame, only queues it (the write comes with the tick's flush).
    const connections = event.revokeDevice === undefined ? user.connections : [...user.connections];
    for (const connection of connections) {
      if (event.revokeDevice === connection.deviceId) {
        connection.close(CloseCode.revoked, "device revoked");
        continue;
      }
      if (event.joinGroup !== undefined) this.joinGroup(connection, event.joinGroup);
      if (event.leaveGroup !== undefined) {
        this.#leave(connection, event.leaveGroup);
        connection.groups = connection.groups?.filter((g) => g !== event.leaveGroup) ?? null;
      }
      if (event.frame && wants(connection, event)) connection.deliver(event.frame);
    }
  }
}

/** Whether the event's device filter lets its frame through to this connection. */
function wants(connection: Connection, event: BusEvent): boolean {
  if (event.onlyDevice !== undefined && event.onlyDevice !== connection.deviceId) return false;
  return event.exceptDevice !== connection.deviceId;
}
