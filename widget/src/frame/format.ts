// Pure formatting of the visitor iframe: message length and its counter,
// and message times. No DOM, so the unit tests run them in Node.

/** The longest message the hub accepts, in Unicode code points. */
export const MAX_CHARS = 4000;
/** From this length on the composer shows a counter. */
export const COUNTER_FROM = 3500;

const num = (n: number): string => n.toLocaleString("en-US");

/** charCount counts code points, as the hub does (an emoji is one). */
export function charCount(s: string): number {
  return Array.from(s).length;
}

/** counterText is the counter's text for a message of n characters ("" below COUNTER_FROM). */
export function counterText(n: number): string {
  return n < COUNTER_FROM ? "" : num(n) + " / " + num(MAX_CHARS);
}

/** tooLong explains why a message of n characters is refused, or "" when it is not. */
export function tooLong(n: number): string {
  if (n <= MAX_CHARS) return "";
  return "This message is " + num(n) + " characters long; the limit is " + num(MAX_CHARS) + ". Please shorten it.";
}

/**
 * timeLabel shows when a message was sent: the time of day when it is from
 * the same day as now, else the date and the time. locale is the
 * browser's when undefined.
 */
export function timeLabel(at: Date, now: Date, locale?: string): string {
  if (isNaN(at.getTime())) return "";
  const time = at.toLocaleTimeString(locale, { hour: "numeric", minute: "2-digit" });
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  if (sameDay) return time;
  const opts: Intl.DateTimeFormatOptions = { day: "numeric", month: "short" };
  if (at.getFullYear() !== now.getFullYear()) opts.year = "numeric";
  return at.toLocaleDateString(locale, opts) + ", " + time;
}
