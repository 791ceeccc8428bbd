/**
 * One socket write per connection per event-loop tick. Frames produced for a connection during a
 * tick are queued; one shared `setImmediate` (after the tick's I/O callbacks) writes each dirty
 * connection's queue as a single WebSocket message. This is what lets a burst of acks, receipts
 * and messages to the same client cost one syscall instead of one per frame.
 */
export interface Flushable {
  flush(): void;
}

const dirty: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // A flush can make more connections dirty (it never does today, but be safe): take a snapshot.
  const batch = dirty.splice(0, dirty.length);
  for (const connection of batch) connection.flush();
}

export function scheduleFlush(connection: Flushable): void {
  dirty.push(connection);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
