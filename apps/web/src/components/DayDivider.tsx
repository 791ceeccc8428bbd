import { formatDay } from "../lib/time.ts";

/** The date label between two days of messages. */
export function DayDivider({ day }: { day: number }) {
  return (
    <li className="day-divider" aria-label={formatDay(day)}>
      <span>{formatDay(day)}</span>
    </li>
  );
}
