/**
 * The SDK's storage contract against the IndexedDB adapter, on fake-indexeddb (an in-memory
 * IndexedDB for Node). The contract suite is written for Node's test runner, so this runs there
 * rather than in Vitest; the e2e test proves the same adapter in real Chromium.
 */
import "fake-indexeddb/auto";
import type { ClientStorage } from "@courier/client";
import { IDBFactory } from "fake-indexeddb";
import { runStorageContract } from "../../../packages/client/test/storage.contract.ts";
import { IndexedDbStorage } from "../src/storage/indexeddb.ts";

const factories = new WeakMap<ClientStorage, IDBFactory>();

runStorageContract(
  "IndexedDbStorage",
  () => {
    // A fresh in-memory IndexedDB per test: every test starts from an empty database.
    const factory = new IDBFactory();
    const storage = new IndexedDbStorage("courier-test", factory);
    factories.set(storage, factory);
    return storage;
  },
  {
    async reopen(old) {
      const factory = factories.get(old);
      if (factory === undefined) throw new Error("unknown storage");
      await (old as IndexedDbStorage).close();
      return new IndexedDbStorage("courier-test", factory);
    },
  },
);
