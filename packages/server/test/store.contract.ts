import { describe } from "node:test";
import type { Store } from "../src/store/store.ts";
import { accountsContract } from "./store-contract/accounts.ts";
import { batchingContract } from "./store-contract/batching.ts";
import { conversationsContract } from "./store-contract/conversations.ts";
import { cursorsContract } from "./store-contract/cursors.ts";
import type { MakeStore } from "./store-contract/fixture.ts";
import { groupsContract } from "./store-contract/groups.ts";
import { messagesContract } from "./store-contract/messages.ts";
import { pruneContract } from "./store-contract/prune.ts";

export type { MakeStore, StoreUnderTest } from "./store-contract/fixture.ts";

/**
 * The one contract suite every `Store` implementation runs (see the contract in store.ts).
 * `makeStore` opens a fresh, empty store for each test. The suite closes every store it was
 * given (close must be idempotent) and then calls `cleanup`. A factory that can open a second
 * store over the same data provides `reopen`, which enables the durability test.
 */
export function runStoreContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    accountsContract(makeStore);
    conversationsContract(makeStore);
    messagesContract(makeStore);
    cursorsContract(makeStore);
    pruneContract(makeStore);
    batchingContract(makeStore);
    groupsContract(makeStore);
  });
}

export type { Store };
