import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SqliteStore } from "../../src/store/store.sqlite.ts";
import type { CursorMove, Store } from "../../src/store/store.ts";

/**
 * A real SQLite store in a fresh directory whose `moveCursors` calls go through `before` first
 * (to record them, or to make them slow); everything else is the store itself. `remove()`
 * deletes the directory once the courier using the store has stopped (and closed it).
 */
export async function storeWithMovesHook(
  before: (moves: CursorMove[]) => void | Promise<void>,
): Promise<{ store: Store; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "courier-hooked-"));
  const inner = await SqliteStore.open({ dataDir: dir });
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === "moveCursors") {
        return async (moves: CursorMove[]) => {
          await before(moves);
          return target.moveCursors(moves);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Store;
  return { store, remove: () => rm(dir, { recursive: true, force: true }) };
}
