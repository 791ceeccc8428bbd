import { isDirectConversation as isDirect } from "@courier/protocol";
import type { GroupStore, Store } from "../store/store.ts";

/** Conversations whose member lists are kept in memory, oldest evicted first. */
const capacity = 100_000;

interface Members {
  ids: string[];
  /** The same ids as a set: a large group's membership check must not scan its list. */
  set: Set<string>;
  /** Groups: each member's joined seq (they see messages after it). Null for direct conversations. */
  joined: Map<string, number> | null;
}

export { isDirect };

/**
 * Member lists on the hot path. Every frame that names a conversation is checked against its
 * members, so they are cached; the cache holds promises so that concurrent lookups share one
 * query and resolve in call order (which keeps a connection's sends in order). Group changes
 * call `forget` on every node (through the bus).
 */
export class Membership {
  readonly #store: Store;
  readonly #groups: GroupStore | undefined;
  readonly #members = new Map<string, Promise<Members | undefined>>();
  /**
   * The member lists of `#members` whose lookup has settled, for `peek`. An entry exists only
   * while its promise is the current one in `#members`.
   */
  readonly #settled = new Map<string, Members>();
  readonly #users = new Map<string, Promise<boolean>>();

  constructor(store: Store, groups?: GroupStore) {
    this.#store = store;
    this.#groups = groups;
  }

  /**
   * The members if they are cached and settled, without waiting: the send path's common case
   * then costs no promise and no microtask turn. Undefined means "ask `membersOf`", not "none".
   * A lookup still under way answers undefined, so a frame behind it waits for it (and keeps
   * its place in the conversation); once it has settled, every frame that awaited it has run.
   */
  peek(conversationId: string): { ids: string[]; set: ReadonlySet<string> } | undefined {
    return this.#settled.get(conversationId);
  }

  /** The members, or undefined when the conversation does not exist. */
  async membersOf(conversationId: string): Promise<string[] | undefined> {
    return (await this.#load(conversationId))?.ids;
  }

  /** Whether the user belongs to the conversation (false for unknown conversations). */
  async isMember(conversationId: string, userId: string): Promise<boolean> {
    const members = await this.#load(conversationId);
    return members?.set.has(userId) ?? false;
  }

  /** The seq after which the member may see messages (0 for direct conversations). */
  async joinedSeq(conversationId: string, userId: string): Promise<number> {
    const members = await this.#load(conversationId);
    return members?.joined?.get(userId) ?? 0;
  }

  /**
   * Makes sure the direct conversation between `from` and `to` exists. Resolves false when `to`
   * is not a user.
   */
  ensureDirect(conversationId: string, from: string, to: string): Promise<boolean> {
    const known = this.#members.get(conversationId);
    if (known) return known.then((members) => members !== undefined);
    const created = this.#userExists(to).then(async (exists): Promise<Members | undefined> => {
      if (!exists) return undefined;
      await this.#store.ensureDirectConversation(conversationId, from, to);
      const ids = from < to ? [from, to] : [to, from];
      return { ids, set: new Set(ids), joined: null };
    });
    this.#rememberMembers(conversationId, created);
    return created.then((members) => members !== undefined);
  }

  /** Forgets every cached member list (after the bus lost events, invalidations among them). */
  forgetAll(): void {
    this.#members.clear();
    this.#settled.clear();
  }

  /** Forgets a conversation's members (after a membership change). */
  forget(conversationId: string): void {
    this.#members.delete(conversationId);
    this.#settled.delete(conversationId);
  }

  #load(conversationId: string): Promise<Members | undefined> {
    let members = this.#members.get(conversationId);
    if (!members) {
      members = this.#fetch(conversationId);
      this.#rememberMembers(conversationId, members);
    }
    return members;
  }

  /** Caches a member lookup, and its result for `peek` once it settles (if still current). */
  #rememberMembers(conversationId: string, members: Promise<Members | undefined>): void {
    const evicted = this.#remember(this.#members, conversationId, members);
    if (evicted !== undefined) this.#settled.delete(evicted);
    // Registered before anyone awaits `members`: the entry is in place before they resume.
    members.then(
      (settled) => {
        if (settled !== undefined && this.#members.get(conversationId) === members) {
          this.#settled.set(conversationId, settled);
        }
      },
      () => {},
    );
  }

  async #fetch(conversationId: string): Promise<Members | undefined> {
    if (isDirect(conversationId) || !this.#groups) {
      const ids = await this.#store.membersOf(conversationId);
      return ids && { ids, set: new Set(ids), joined: null };
    }
    const group = await this.#groups.groupInfo(conversationId);
    if (!group) return undefined;
    const ids = group.members.map((m) => m.userId);
    return {
      ids,
      set: new Set(ids),
      joined: new Map(group.members.map((m) => [m.userId, m.joinedSeq])),
    };
  }

  #userExists(userId: string): Promise<boolean> {
    let exists = this.#users.get(userId);
    if (!exists) {
      exists = this.#store.userById(userId).then((user) => user !== undefined);
      this.#remember(this.#users, userId, exists);
    }
    return exists;
  }

  /** Caches a lookup; returns the key it evicted to make room, if any. */
  #remember<T>(cache: Map<string, Promise<T>>, key: string, value: Promise<T>): string | undefined {
    let evicted: string | undefined;
    if (cache.size >= capacity) {
      const oldest = cache.keys().next();
      if (!oldest.done) {
        evicted = oldest.value;
        cache.delete(evicted);
      }
    }
    cache.set(key, value);
    // A failed lookup (backend down) must be retried next time, not cached. A missing
    // conversation or user is not cached either: it may be created a moment later.
    value.then(
      (result) => {
        if ((result === undefined || result === false) && cache.get(key) === value)
          cache.delete(key);
      },
      () => {
        if (cache.get(key) === value) cache.delete(key);
      },
    );
    return evicted;
  }
}
