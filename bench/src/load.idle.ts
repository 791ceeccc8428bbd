import type { BenchSession } from "./accounts.ts";
import type { Driver, Peer } from "./driver.ts";
import type { FromWorker } from "./ipc.ts";
import { openAll } from "./opener.ts";

/** Idle scenario, one worker's share: connect, get online, then hold the connections quietly. */
export class IdleLoad {
  readonly #peers: Peer[];
  readonly errors: Record<string, number> = {};

  constructor(driver: Driver, sessions: BenchSession[], post: (m: FromWorker) => void) {
    const ignore = () => {};
    this.#peers = openAll(
      driver,
      sessions,
      () => ({
        acked: ignore,
        delivered: ignore,
        received: ignore,
        error: (code) => {
          this.errors[code] = (this.errors[code] ?? 0) + 1;
        },
      }),
      (count, total) => post({ type: "online", count, total }),
    );
  }

  close(): void {
    for (const peer of this.#peers) peer?.close();
  }
}
