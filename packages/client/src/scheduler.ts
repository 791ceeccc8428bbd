/**
 * Runs a task once the current event-loop tick is over, so that everything produced in one tick
 * (a burst of sends, the acks for one incoming batch) leaves in one socket write.
 */
export type Scheduler = (task: () => void) => void;

const queued: Array<() => void> = [];
let armed = false;

function runQueued(): void {
  armed = false;
  // Tasks queued while running wait for the next tick: a flush never chases its own output.
  const tasks = queued.splice(0);
  for (const task of tasks) task();
}

/**
 * The default scheduler: one `setTimeout(0)` shared by every client of the process, so 1,000
 * clients in a load generator cost one timer per tick, not one each. Portable to browsers and
 * React Native. Node hosts wanting lower latency than timers' 1 ms can pass
 * `(task) => setImmediate(task)` as the client's `scheduler`.
 */
export const nextTick: Scheduler = (task) => {
  queued.push(task);
  if (!armed) {
    armed = true;
    setTimeout(runQueued, 0);
  }
};
