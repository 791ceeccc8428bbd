import type { Bus, BusEvent } from "./bus.ts";

/**
 * The single-process bus: publish calls the subscribed handlers synchronously, so an embedded
 * server pays one function call per routed frame. Presence lives in a map.
 */
export class MemoryBus implements Bus {
  readonly #handlers = new Map<string, Set<(event: BusEvent) => void>>();
  readonly #presence = new Map<string, { online: boolean; lastSeen: number }>();

  publish(userId: string, event: BusEvent): void {
    const handlers = this.#handlers.get(userId);
    if (!handlers) return;
    for (const handler of handlers) handler(event);
  }

  subscribe(userId: string, handler: (event: BusEvent) => void): () => void {
    let handlers = this.#handlers.get(userId);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(userId, handlers);
    }
    handlers.add(handler);
    return () => {
      const current = this.#handlers.get(userId);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) this.#handlers.delete(userId);
    };
  }

  async setPresence(userId: string, online: boolean, at: number): Promise<void> {
    this.#presence.set(userId, { online, lastSeen: at });
  }

  async presenceOf(userIds: string[]): Promise<Map<string, { online: boolean; lastSeen: number }>> {
    const result = new Map<string, { online: boolean; lastSeen: number }>();
    for (const id of userIds) {
      const p = this.#presence.get(id);
      if (p) result.set(id, { online: p.online, lastSeen: p.online ? Date.now() : p.lastSeen });
    }
    return result;
  }

  async ready(): Promise<void> {}

  /** In one process nothing is ever lost in transit: there is no reconnect to report. */
  onReconnect(_handler: (cutOffAt: number) => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#handlers.clear();
  }
}
