import type { Store } from "../store/store.ts";

/** Conversations whose member lists are kept in memory, oldest evicted first. */
const capacity = 100_000;

/**
 * Member lists on the hot path. Every frame that names a conversation is checked against its
 * members, so they are cached; the cache holds promises so that concurrent lookups share one
 * query and resolve in call order (which keeps a connection's sends in order).
 */
export class Membership {
  readonly #store: Store;
  readonly #members = new Map<string, Promise<string[] | undefined>>();
  readonly #users = new Map<string, Promise<boolean>>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The members, or undefined when the conversation does not exist. */
  membersOf(conversationId: string): Promise<string[] | undefined> {
    let members = this.#members.get(conversationId);
    if (!members) {
      members = this.#store.membersOf(conversationId);
      this.#remember(this.#members, conversationId, members);
    }
    return members;
  }

  /** Whether the user belongs to the conversation (false for unknown conversations). */
  async isMember(conversationId: string, userId: string): Promise<boolean> {
    const members = await this.membersOf(conversationId);
    return members?.includes(userId) ?? false;
  }

  /**
   * Makes sure the direct conversation between `from` and `to` exists. Resolves false when `to`
   * is not a user.
   */
  ensureDirect(conversationId: string, from: string, to: string): Promise<boolean> {
    const known = this.#members.get(conversationId);
    if (known) return known.then((members) => members !== undefined);
    const created = this.#userExists(to).then(async (exists) => {
      if (!exists) return undefined;
      await this.#store.ensureDirectConversation(conversationId, from, to);
      return from < to ? [from, to] : [to, from];
    });
    this.#remember(this.#members, conversationId, created);
    return created.then((members) => members !== undefined);
  }

  /** Forgets a conversation's members (after a membership change). */
  forget(conversationId: string): void {
    this.#members.delete(conversationId);
  }

  #userExists(userId: string): Promise<boolean> {
    let exists = this.#users.get(userId);
    if (!exists) {
      exists = this.#store.userById(userId).then((user) => user !== undefined);
      this.#remember(this.#users, userId, exists);
    }
    return exists;
  }

  #remember<T>(cache: Map<string, Promise<T>>, key: string, value: Promise<T>): void {
    if (cache.size >= capacity) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, value);
    // A failed lookup (backend down) must be retried next time, not cached. A missing
    // conversation or user is not cached either: it may be created a moment later.
    value.then(
      (result) => {
        if (result === undefined || result === false) cache.delete(key);
      },
      () => cache.delete(key),
    );
  }
}
