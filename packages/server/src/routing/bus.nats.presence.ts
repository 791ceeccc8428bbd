import type { KV } from "@nats-io/kv";

/**
 * Cluster-wide presence in two JetStream KV buckets:
 *
 * - `courier_nodes`: one key per live node, re-put every `ttlMs / 3`. The bucket's max age is
 *   `ttlMs`, so the key of a node that died (kill -9, network split) expires by itself.
 * - `courier_presence`: one key per user, `{ nodes: { [nodeId]: since }, lastSeen }`, changed
 *   with compare-and-set only when a node's count of the user's connections goes 0 -> 1 or
 *   1 -> 0, so the write rate is the rate of people coming and going, not of messages.
 *
 * A user is online while any node listed in their value is alive. A node id is fresh per process
 * start, so a node that is killed and started again never resurrects its old entries; dead nodes
 * are pruned from a user's value on its next write.
 */
export interface PresenceValue {
  nodes: Record<string, number>;
  lastSeen: number;
}

/** How long a node's liveness answer is reused before asking the bucket again. */
const livenessCacheMs = 1000;

/** Compare-and-set attempts before giving up on one presence change (then it stays dirty). */
const maxCasAttempts = 8;

export class NatsPresence {
  readonly #nodes: KV;
  readonly #users: KV;
  readonly #nodeId: string;
  readonly #liveness = new Map<string, { alive: boolean; at: number }>();

  constructor(nodes: KV, users: KV, nodeId: string) {
    this.#nodes = nodes;
    this.#users = users;
    this.#nodeId = nodeId;
  }

  /** Announces this node as alive (call every ttl / 3). */
  async heartbeat(): Promise<void> {
    await this.#nodes.put(this.#nodeId, String(Date.now()));
  }

  /** Takes this node out at once on a clean shutdown, instead of waiting for the TTL. */
  async leave(): Promise<void> {
    await this.#nodes.delete(this.#nodeId);
  }

  /** Records this node's state for the user, compare-and-set against other nodes' writes. */
  async write(userId: string, online: boolean, at: number): Promise<void> {
    const key = keyFor(userId);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.#users.get(key);
      const current: PresenceValue =
        entry && entry.operation === "PUT"
          ? entry.json<PresenceValue>()
          : { nodes: {}, lastSeen: 0 };
      const nodes: Record<string, number> = {};
      for (const [node, since] of Object.entries(current.nodes)) {
        if (node !== this.#nodeId && (await this.#alive(node))) nodes[node] = since;
      }
      if (online) nodes[this.#nodeId] = at;
      const next: PresenceValue = { nodes, lastSeen: Math.max(current.lastSeen, at) };
      try {
        if (entry) await this.#users.update(key, JSON.stringify(next), entry.revision);
        else await this.#users.create(key, JSON.stringify(next));
        return;
      } catch (error) {
        // Another node wrote in between (wrong last sequence / key exists): read and try again.
        if (attempt >= maxCasAttempts || !isCasConflict(error)) throw error;
      }
    }
  }

  async read(userIds: string[]): Promise<Map<string, { online: boolean; lastSeen: number }>> {
    const result = new Map<string, { online: boolean; lastSeen: number }>();
    const now = Date.now();
    await Promise.all(
      userIds.map(async (userId) => {
        const entry = await this.#users.get(keyFor(userId));
        if (entry?.operation !== "PUT") return;
        const value = entry.json<PresenceValue>();
        let online = false;
        let lastSeen = value.lastSeen;
        for (const [node, since] of Object.entries(value.nodes)) {
          if (await this.#alive(node)) online = true;
          // A node that died took its users' "last seen" with it: the best we know is since.
          else lastSeen = Math.max(lastSeen, since);
        }
        result.set(userId, { online, lastSeen: online ? now : lastSeen });
      }),
    );
    return result;
  }

  async #alive(nodeId: string): Promise<boolean> {
    if (nodeId === this.#nodeId) return true;
    const cached = this.#liveness.get(nodeId);
    if (cached && Date.now() - cached.at < livenessCacheMs) return cached.alive;
    const entry = await this.#nodes.get(nodeId);
    const alive = entry !== null && entry.operation === "PUT";
    this.#liveness.set(nodeId, { alive, at: Date.now() });
    return alive;
  }
}

/** KV keys allow [-/_=.a-zA-Z0-9]; Courier's ids are base64url. Anything else is hex-escaped. */
export function keyFor(id: string): string {
  return /^[-_a-zA-Z0-9]+$/.test(id) ? id : `x=${Buffer.from(id).toString("hex")}`;
}

function isCasConflict(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /wrong last sequence|key exists/i.test(message);
}
