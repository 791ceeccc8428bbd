import type {
  ClientStorage,
  ConversationCursors,
  LocalMessage,
  MessageQuery,
  Session,
  StorageBatch,
} from "@courier/client";
import type { ConversationSummary } from "@courier/protocol";
import { openDatabase, request, type StoreName, transactionDone } from "./idb.ts";

/** An outbox row: the message, keyed by an auto-incremented position so reads keep put order. */
interface OutboxRow {
  cid: string;
  message: LocalMessage;
}

/**
 * The SDK's `ClientStorage` on IndexedDB, so a browser keeps its session, outbox, history and
 * cursors across reloads and offline starts.
 *
 * How the contract maps onto IndexedDB:
 * - every `write` is one readwrite transaction with `durability: "strict"`, and resolves on the
 *   transaction's `complete` (the data is on disk); any failing part aborts the whole batch;
 * - transactions over overlapping stores run in the order they were created, which gives the
 *   write ordering, and reads opened after a write resolved see it;
 * - messages are keyed by `[conv, seq]`, so a range over one conversation is a key range;
 * - outbox rows have an auto-incremented key (first-put order); a unique `cid` index finds the
 *   row again so an upsert overwrites in place and keeps its position.
 */
export class IndexedDbStorage implements ClientStorage {
  readonly #db: Promise<IDBDatabase>;

  /** `factory` defaults to the page's `indexedDB`; tests pass fake-indexeddb's. */
  constructor(name = "courier", factory: IDBFactory = globalThis.indexedDB) {
    this.#db = openDatabase(factory, name);
  }

  async loadSession(): Promise<Session | undefined> {
    return (await this.#get("kv", "session")) as Session | undefined;
  }

  async saveSession(session: Session | undefined): Promise<void> {
    await this.#run(["kv"], (tx) => {
      const kv = tx.objectStore("kv");
      if (session === undefined) kv.delete("session");
      else kv.put(session, "session");
    });
  }

  async write(batch: StorageBatch): Promise<void> {
    await this.#run(["outbox", "messages", "cursors"], (tx) => {
      const outbox = tx.objectStore("outbox");
      const byCid = outbox.index("cid");
      for (const cid of batch.outboxDelete ?? []) {
        byCid.getKey(cid).onsuccess = (event) => {
          const key = (event.target as IDBRequest<IDBValidKey | undefined>).result;
          if (key !== undefined) outbox.delete(key);
        };
      }
      // Upserts queue after the deletes above: requests in one transaction run in order.
      for (const message of batch.outbox ?? []) {
        const row: OutboxRow = { cid: message.cid, message };
        byCid.getKey(message.cid).onsuccess = (event) => {
          const key = (event.target as IDBRequest<IDBValidKey | undefined>).result;
          if (key === undefined) outbox.add(row);
          else outbox.put(row, key);
        };
      }
      const messages = tx.objectStore("messages");
      for (const message of batch.messages ?? []) {
        if (message.seq === undefined) throw new TypeError(`message ${message.cid} has no seq`);
        messages.put(message);
      }
      const cursors = tx.objectStore("cursors");
      for (const cursor of batch.cursors ?? []) cursors.put(cursor);
    });
  }

  async loadOutbox(): Promise<LocalMessage[]> {
    const rows = (await this.#getAll("outbox")) as OutboxRow[];
    return rows.map((row) => row.message);
  }

  async listMessages(conv: string, query: MessageQuery): Promise<LocalMessage[]> {
    const db = await this.#db;
    const store = db.transaction("messages", "readonly").objectStore("messages");
    if (query.limit <= 0) return [];
    if (query.afterSeq !== undefined) {
      const range = IDBKeyRange.bound([conv, query.afterSeq], [conv, Infinity], true, false);
      return (await request(store.getAll(range, query.limit))) as LocalMessage[];
    }
    const upper = query.beforeSeq ?? Infinity;
    const range = IDBKeyRange.bound([conv, -Infinity], [conv, upper], false, true);
    // Newest first from the top of the range, then reversed to ascending order.
    const newestFirst = await collect(store.openCursor(range, "prev"), query.limit);
    return newestFirst.reverse();
  }

  async loadCursors(): Promise<ConversationCursors[]> {
    return (await this.#getAll("cursors")) as ConversationCursors[];
  }

  async loadConversations(): Promise<ConversationSummary[]> {
    return ((await this.#get("kv", "conversations")) as ConversationSummary[] | undefined) ?? [];
  }

  async saveConversations(list: ConversationSummary[]): Promise<void> {
    await this.#run(["kv"], (tx) => {
      tx.objectStore("kv").put(list, "conversations");
    });
  }

  async clear(): Promise<void> {
    const stores: StoreName[] = ["kv", "outbox", "messages", "cursors"];
    await this.#run(stores, (tx) => {
      for (const name of stores) tx.objectStore(name).clear();
    });
  }

  /** Closes the database connection (tests, logout before deleting the database). */
  async close(): Promise<void> {
    (await this.#db).close();
  }

  /** Runs `fill` in one readwrite transaction; resolves when it committed, rejects if it aborted. */
  async #run(stores: StoreName[], fill: (tx: IDBTransaction) => void): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(stores, "readwrite", { durability: "strict" });
    const done = transactionDone(tx);
    try {
      fill(tx);
    } catch (error) {
      tx.abort();
      await done.catch(() => {});
      throw error;
    }
    await done;
  }

  async #get(store: StoreName, key: IDBValidKey): Promise<unknown> {
    const db = await this.#db;
    return request(db.transaction(store, "readonly").objectStore(store).get(key));
  }

  async #getAll(store: StoreName): Promise<unknown[]> {
    const db = await this.#db;
    return request(db.transaction(store, "readonly").objectStore(store).getAll());
  }
}

/** Reads up to `limit` values from a cursor request. */
function collect(cursorRequest: IDBRequest<IDBCursorWithValue | null>, limit: number) {
  return new Promise<LocalMessage[]>((resolve, reject) => {
    const out: LocalMessage[] = [];
    cursorRequest.onerror = () => reject(cursorRequest.error);
    cursorRequest.onsuccess = () => {
      const cursor = cursorRequest.result;
      if (cursor === null || out.length >= limit) {
        resolve(out);
        return;
      }
      out.push(cursor.value as LocalMessage);
      if (out.length >= limit) resolve(out);
      else cursor.continue();
    };
  });
}
