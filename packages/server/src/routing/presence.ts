import type { Logger } from "pino";
import type { Store } from "../store/store.ts";
import type { Bus } from "./bus.ts";
import type { Router } from "./router.ts";

/**
 * Online / last-seen. A user's presence changes when this node's first connection of theirs opens
 * or its last one closes; the bus aggregates across nodes, and the result is pushed to the people
 * who share a direct conversation with the user.
 */
export class Presence {
  readonly #bus: Bus;
  readonly #store: Store;
  readonly #log: Logger;
  #router: Router | undefined;

  constructor(bus: Bus, store: Store, log: Logger) {
    this.#bus = bus;
    this.#store = store;
    this.#log = log;
  }

  /** Set after construction: the router and presence need each other. */
  bind(router: Router): void {
    this.#router = router;
  }

  changed(userId: string, online: boolean): void {
    this.#announce(userId, online).catch((err: unknown) => {
      this.#log.warn({ err, userId }, "presence update failed");
    });
  }

  async #announce(userId: string, online: boolean): Promise<void> {
    const now = Date.now();
    await this.#bus.setPresence(userId, online, now);
    const current = (await this.#bus.presenceOf([userId])).get(userId) ?? { online, lastSeen: now };
    const contacts = await this.#store.contactsOf(userId);
    const frame = { t: "presence", user: userId, ...current } as const;
    for (const contact of contacts) this.#router?.toUser(contact, { frame });
  }
}
