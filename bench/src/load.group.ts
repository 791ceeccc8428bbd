import { rawDriver } from "./driver.raw.ts";
import { sdkDriver } from "./driver.sdk.ts";
import type { FromWorker, GroupFromWorker, GroupWorkerResult, ToWorker } from "./ipc.ts";
import { openAll } from "./opener.ts";

type Setup = Extract<ToWorker, { type: "group" }>;

/** The text of bench message `k` starts with this prefix and `k` (see group.ts). */
export const groupTextPrefix = "grp#";

/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC, the same in every process),
 * for times compared across the bench's processes: a send in the coordinator, an arrival in a
 * worker. `performance.timeOrigin + performance.now()` is not such a clock: each process fixes
 * its time origin from the wall clock when it starts, and runs were seen where a worker's clock
 * stood more than 7 ms behind the coordinator's (first arrivals "before" the send).
 */
export const monotonicNow = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Group scenario, one worker's share of the members: SDK clients (in-memory storage) that stay
 * online and record, per bench message, when each member got it. The SDK does the work of a
 * real app: fan-out frames for small groups, `notify` → `pull` for large ones. When every member
 * of this worker has message `k`, the worker tells the coordinator (with the last arrival time).
 */
export class GroupLoad {
  readonly #setup: Setup;
  readonly #post: (m: FromWorker | GroupFromWorker) => void;
  readonly #clients: Array<{ close(): void }>;
  /** Per message: how many of this worker's members have it, first and last arrival (monotonicNow ms). */
  readonly #count: Uint32Array;
  readonly #first: Float64Array;
  readonly #last: Float64Array;
  /** members × sends: 1 once member i has message k. */
  readonly #seen: Uint8Array;
  #doubles = 0;
  #foreign = 0;
  readonly #errors: Record<string, number> = {};

  constructor(setup: Setup, post: (m: FromWorker | GroupFromWorker) => void) {
    this.#setup = setup;
    this.#post = post;
    const n = setup.sessions.length;
    this.#count = new Uint32Array(setup.sends);
    this.#first = new Float64Array(setup.sends).fill(Number.POSITIVE_INFINITY);
    this.#last = new Float64Array(setup.sends);
    this.#seen = new Uint8Array(n * setup.sends);
    const error = (code: string) => {
      this.#errors[code] = (this.#errors[code] ?? 0) + 1;
    };
    const ignore = () => {};
    const target = { url: setup.url, localAddress: setup.localAddress };
    // Raw members, the default, cost the generator less per message than the server, so that on
    // two cores reading 1,000 sockets does not take longer than the server writing them; `--sdk`
    // members run exactly as an app runs them.
    const driver =
      setup.driver === "raw"
        ? rawDriver(target)
        : sdkDriver(target, {
            sendWindow: 32,
            // Few kept: the group's "added" system messages list many user ids each.
            keepMessages: 2,
            authTimeoutMs: 60_000,
          });
    this.#clients = openAll(
      driver,
      setup.sessions,
      (member) => ({
        acked: ignore,
        delivered: ignore,
        received: (conv, _seq, text) => {
          const at = monotonicNow();
          // Not the bench's: the group's system messages (no text).
          if (conv !== setup.conv || text === "") return;
          this.#onMessage(member, text, at);
        },
        error,
      }),
      (count, total) => post({ type: "online", count, total }),
    );
  }

  #onMessage(member: number, text: string, at: number): void {
    const sends = this.#setup.sends;
    const k = text.startsWith(groupTextPrefix)
      ? Number.parseInt(text.slice(groupTextPrefix.length), 10)
      : -1;
    if (member < 0 || !(k >= 0 && k < sends)) {
      this.#foreign++;
      return;
    }
    const slot = member * sends + k;
    if (this.#seen[slot] === 1) {
      this.#doubles++;
      return;
    }
    this.#seen[slot] = 1;
    const count = (this.#count[k] as number) + 1;
    this.#count[k] = count;
    if (at < (this.#first[k] as number)) this.#first[k] = at;
    if (at > (this.#last[k] as number)) this.#last[k] = at;
    if (count === this.#setup.sessions.length) {
      this.#post({
        type: "group_done",
        k,
        first: this.#first[k] as number,
        last: this.#last[k] as number,
      });
    }
  }

  /** Everything recorded so far, for the coordinator's checks. */
  result(): GroupWorkerResult {
    const n = this.#setup.sessions.length;
    const sends = this.#setup.sends;
    let membersComplete = 0;
    for (let i = 0; i < n; i++) {
      let all = true;
      for (let k = 0; k < sends && all; k++) all = this.#seen[i * sends + k] === 1;
      if (all) membersComplete++;
    }
    return {
      members: n,
      counts: Array.from(this.#count),
      first: Array.from(this.#first, (v) => (Number.isFinite(v) ? v : 0)),
      last: Array.from(this.#last),
      membersComplete,
      doubles: this.#doubles,
      foreign: this.#foreign,
      errors: this.#errors,
    };
  }

  close(): void {
    for (const client of this.#clients) client?.close();
  }
}
