import type { Tick } from "../lib/ticks.ts";

const labels: Record<Tick, string> = {
  pending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Not sent",
};

/**
 * The delivery state of one of my messages: a clock while it waits in the outbox, one tick when the
 * server stored it, two when it reached the recipient, two blue ones when it was read. The label is
 * for screen readers and tests (`data-tick`); the icon is decoration.
 */
export function Ticks({ tick }: { tick: Tick }) {
  return (
    <span className={`ticks ticks-${tick}`} data-tick={tick} role="img" aria-label={labels[tick]}>
      <TickIcon tick={tick} />
    </span>
  );
}

function TickIcon({ tick }: { tick: Tick }) {
  switch (tick) {
    case "pending":
      return (
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
      );
    case "failed":
      return (
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M8 4v5M8 11v1.2" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" />
        </svg>
      );
    case "sent":
      return (
        <svg viewBox="0 0 16 16" width="16" height="14" aria-hidden="true">
          <path d="M2.5 8.5l3.5 3.5 7-8" fill="none" stroke="currentColor" strokeWidth="1.6" />
        </svg>
      );
    default:
      // Two ticks: the second one offset to the right, as in every messenger people know.
      return (
        <svg viewBox="0 0 22 16" width="20" height="14" aria-hidden="true">
          <path d="M1.5 8.5l3.5 3.5 7-8" fill="none" stroke="currentColor" strokeWidth="1.6" />
          <path d="M8.5 10.5l1.5 1.5 7-8" fill="none" stroke="currentColor" strokeWidth="1.6" />
        </svg>
      );
  }
}
