import type { BenchSession } from "./accounts.ts";

/** What a bench client reports back to the load loop. Times are `performance.now()` values. */
export interface PeerHooks {
  /** The server stored one of my messages (`sent`, one tick). */
  acked(sentAt: number): void;
  /** One of my messages reached the recipient (two ticks): the end of the measured round trip. */
  delivered(sentAt: number): void;
  /**
   * A message from someone else arrived, with its conversation, its seq there (for the
   * exactly-once check) and its text ("" for other content).
   */
  received(conv: string, seq: number, text: string): void;
  /** The connection is `online` (authenticated and synced); may be called again after a reconnect. */
  online(): void;
  /** An error frame or SDK error, by code. */
  error(code: string): void;
}

/** One connected bench client. */
export interface Peer {
  /** Sends one text message into `conv`; `sentAt` comes back through `acked` and `delivered`. */
  send(conv: string, text: string, sentAt: number): void;
  close(): void;
}

/** How a worker opens a client: through the SDK, or the raw wire protocol (`--raw`). */
export interface Driver {
  readonly name: string;
  open(session: BenchSession, hooks: PeerHooks): Peer;
}

/** Where the server's WebSocket gateway is, and which local address the client sockets bind. */
export interface DriverTarget {
  url: string;
  localAddress: string;
}

/**
 * A scheduler shared by every client of the process: tasks queued during a tick run in one
 * `setImmediate`, right after the tick's I/O. One immediate per tick for all clients, and no
 * 1 ms `setTimeout` floor on the round trip.
 */
export function sharedImmediate(): (task: () => void) => void {
  let queued: Array<() => void> = [];
  const run = () => {
    const tasks = queued;
    queued = [];
    for (const task of tasks) task();
  };
  return (task) => {
    if (queued.length === 0) setImmediate(run);
    queued.push(task);
  };
}
