/**
 * A minimal typed event emitter. `on` returns the unsubscribe function. A throwing handler does
 * not stop the other handlers or the SDK: its error goes to `onHandlerError` (default: rethrown
 * asynchronously, so it surfaces as an uncaught error instead of vanishing).
 */
export class Emitter<Events extends object> {
  readonly #handlers = new Map<keyof Events, Set<(value: never) => void>>();
  readonly #onHandlerError: (error: unknown) => void;

  constructor(onHandlerError?: (error: unknown) => void) {
    this.#onHandlerError =
      onHandlerError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
  }

  on<K extends keyof Events>(event: K, handler: (value: Events[K]) => void): () => void {
    let set = this.#handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /** Resolves with the next value of `event` that satisfies `filter` (all values by default). */
  once<K extends keyof Events>(
    event: K,
    filter: (value: Events[K]) => boolean = () => true,
  ): Promise<Events[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (value) => {
        if (!filter(value)) return;
        off();
        resolve(value);
      });
    });
  }

  /** True if anyone listens: lets hot paths skip building payloads nobody reads. */
  has(event: keyof Events): boolean {
    const set = this.#handlers.get(event);
    return set !== undefined && set.size > 0;
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#handlers.get(event);
    if (set === undefined) return;
    for (const handler of set) {
      try {
        (handler as (value: Events[K]) => void)(value);
      } catch (error) {
        this.#onHandlerError(error);
      }
    }
  }
}
