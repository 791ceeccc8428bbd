/** The object stores of Courier's database and the small promise helpers around IndexedDB. */
export type StoreName = "kv" | "outbox" | "messages" | "cursors";

const version = 1;

/**
 * Opens (and on first use creates) the database. Version 1 layout:
 * - `kv`: out-of-line keys, for the session and the conversation list cache;
 * - `outbox`: auto-incremented key (first-put order), unique index `cid`;
 * - `messages`: key `[conv, seq]`;
 * - `cursors`: key `conv`.
 */
export function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = factory.open(name, version);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore("kv");
      db.createObjectStore("outbox", { autoIncrement: true }).createIndex("cid", "cid", {
        unique: true,
      });
      db.createObjectStore("messages", { keyPath: ["conv", "seq"] });
      db.createObjectStore("cursors", { keyPath: "conv" });
    };
    open.onsuccess = () => {
      const db = open.result;
      // Another tab upgrading the schema must not be blocked by this one: let go, it reloads.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    open.onerror = () => reject(open.error);
    open.onblocked = () => reject(new Error("IndexedDB upgrade blocked by another tab"));
  });
}

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves once the transaction committed; rejects with its error if it aborted. */
export function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    // A failed request aborts the transaction by default (nobody calls preventDefault), so
    // `abort` covers request errors too.
  });
}
