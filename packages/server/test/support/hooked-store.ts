import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SqliteStore } from "../../src/store/store.sqlite.ts";
import type { CursorMove, Store } from "../../src/store/store.ts";
import { startCourier, type TestCourier } from "./courier.ts";

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

/**
 * A courier (configured by `env`) on a hooked store that records every `moveCursors` call in
 * `calls`; `stop()` stops it and removes the store.
 */
export async function courierRecordingMoves(
  env: Record<string, string>,
): Promise<{ courier: TestCourier; calls: CursorMove[][]; stop(): Promise<void> }> {
  const calls: CursorMove[][] = [];
  const { store, remove } = await storeWithMovesHook((moves) => {
    calls.push(moves);
  });
  const courier = await startCourier(env, { store });
  return {
    courier,
    calls,
    async stop() {
      await courier.stop();
      await remove();
    },
  };
}
