import type { ServerFrame } from "@courier/protocol";

/**
 * The bus seam: moves events between server nodes. `bus.memory.ts` serves a single process;
 * `bus.nats.ts` a cluster. Both pass `test/bus.contract.ts`.
 *
 * Contract:
 * - `publish(userId, event)` reaches every handler subscribed to that user on any node, at most
 *   once, in publish order per (publisher, user). It is fire-and-forget: the store, not the bus,
 *   holds the truth, so an event lost in a node crash is repaired by the client's sync.
 * - A node subscribes to a user while it holds at least one connection of that user.
 * - Presence is cluster-wide: a user is online while any node has a connection of theirs
 *   (a node that dies stops counting after its heartbeat lapses).
 */
export interface Bus {
  publish(userId: string, event: BusEvent): void;
  /** Subscribes this node to the user's events; the returned function unsubscribes. */
  subscribe(userId: string, handler: (event: BusEvent) => void): () => void;
  /** This node's count of the user's connections went from 0 to 1 (`online`) or to 0 (not). */
  setPresence(userId: string, online: boolean, at: number): Promise<void>;
  presenceOf(userIds: string[]): Promise<Map<string, { online: boolean; lastSeen: number }>>;
  /** Rejects with BusUnavailableError while the bus cannot publish. */
  ready(): Promise<void>;
  /**
   * Calls `handler` each time the bus is back after an outage in which events may have been lost
   * (NATS: a reconnect; events published while this node was cut off, or held only by a NATS
   * server that restarted, are gone). It runs once this node's subscriptions are in effect
   * again, so that whoever resyncs from the store then misses nothing. `cutOffAt` is when the
   * node lost the bus (ms since the epoch): what happened since may not have reached it. The
   * memory bus never loses events and never calls it. Returns a function that removes the
   * handler.
   */
  onReconnect(handler: (cutOffAt: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * Frames for a user's devices. `exceptDevice` skips one device (the sender's own, which gets
 * `sent` instead of `msg`); `onlyDevice` targets one.
 */
export interface BusEvent {
  frame?: ServerFrame;
  exceptDevice?: string;
  onlyDevice?: string;
  /** Control events: a device was revoked and its connections must close. */
  revokeDevice?: string;
  /** Control: the user's connections start / stop receiving this large group's notifies. */
  joinGroup?: string;
  leaveGroup?: string;
  /** Control, on `clusterTopic`: forget cached members of this conversation. */
  invalidateMembers?: string;
}

/** Every node subscribes to this key: events for all nodes (cache invalidation). */
export const clusterTopic = "_cluster";

/** The bus key of a large group's notifies; user ids never contain ':'. */
export function groupTopic(conversationId: string): string {
  return `g:${conversationId}`;
}

export class BusUnavailableError extends Error {
  override name = "BusUnavailableError";
}
