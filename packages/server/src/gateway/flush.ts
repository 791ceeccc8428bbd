/**
 * One socket write per connection per event-loop tick. Frames produced for a connection during a
 * tick are queued; one shared `setImmediate` (after the tick's I/O callbacks) writes each dirty
 * connection's queue as a single WebSocket message. This is what lets a burst of acks, receipts
 * and messages to the same client cost one syscall instead of one per frame.
 *
 * A connection whose queue holds only frames that may linger (see Connection.linger) waits for
 * the shared linger timer instead, so that the frame that usually follows them within a
 * millisecond or two rides in the same write; anything else queued for it meanwhile flushes it
 * on the next tick as usual.
 */
export interface Flushable {
  flush(): void;
}

const dirty: Flushable[] = [];
let scheduled = false;
const lingering: Flushable[] = [];

function flushAll(): void {
  scheduled = false;
  // A flush can make more connections dirty (it never does today, but be safe): take a snapshot.
  const batch = dirty.splice(0, dirty.length);
  for (const connection of batch) connection.flush();
}

function flushLingering(): void {
  // Connections flushed meanwhile have empty queues: their flush is a no-op.
  const batch = lingering.splice(0, lingering.length);
  for (const connection of batch) connection.flush();
}

export function scheduleFlush(connection: Flushable): void {
  dirty.push(connection);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/** Flushes the connection within `ms` (COURIER_SENT_LINGER_MS), with the others lingering. */
export function scheduleLinger(connection: Flushable, ms: number): void {
  if (lingering.push(connection) === 1) setTimeout(flushLingering, ms);
}
