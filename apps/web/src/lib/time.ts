/** Dates and times as the chat shows them, in the browser's locale. */

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "long" });
const shortDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const longDate = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "long",
  year: "numeric",
});

const dayMs = 24 * 60 * 60 * 1000;

/** Local midnight of the day `ts` falls on: the key messages are grouped by. */
export function dayOf(ts: number): number {
  const d = new Date(ts);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function formatClock(ts: number): string {
  return clock.format(ts);
}

/** "Today", "Yesterday", a weekday within the week, else a full date: the day divider label. */
export function formatDay(ts: number, now = Date.now()): string {
  const days = Math.round((dayOf(now) - dayOf(ts)) / dayMs);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return weekday.format(ts);
  return longDate.format(ts);
}

/** The conversation list's time column: the clock today, "Yesterday", else a short date. */
export function formatListTime(ts: number, now = Date.now()): string {
  const days = Math.round((dayOf(now) - dayOf(ts)) / dayMs);
  if (days === 0) return formatClock(ts);
  if (days === 1) return "Yesterday";
  return shortDate.format(ts);
}

/** "online", "last seen today at 14:02", "last seen 3 Mar". */
export function formatPresence(p: { online: boolean; lastSeen: number }, now = Date.now()): string {
  if (p.online) return "online";
  if (p.lastSeen <= 0) return "offline";
  const days = Math.round((dayOf(now) - dayOf(p.lastSeen)) / dayMs);
  if (days === 0) return `last seen today at ${formatClock(p.lastSeen)}`;
  if (days === 1) return `last seen yesterday at ${formatClock(p.lastSeen)}`;
  return `last seen ${shortDate.format(p.lastSeen)}`;
}
