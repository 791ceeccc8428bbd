/** A piece of message text: plain text, or a link that is safe to put in an `href`. */
export type TextPart =
  | { kind: "text"; text: string }
  | { kind: "link"; text: string; href: string };

// Candidates start with http(s):// or www.; trailing punctuation is trimmed off afterwards.
const candidate = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const trailing = /[.,;:!?)\]}'"]+$/;

/**
 * Splits message text into text and links. Only http and https URLs become links (never
 * `javascript:`, `data:` and the like), and the result is rendered as React text nodes and
 * `<a>` elements, so no part of a message is ever parsed as HTML.
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(candidate)) {
    const start = match.index;
    let raw = match[0];
    const trim = trailing.exec(raw);
    // Keep a closing parenthesis that balances one inside the URL (Wikipedia-style links).
    if (trim !== null && !(trim[0] === ")" && raw.includes("("))) raw = raw.slice(0, trim.index);
    const href = safeHref(raw.toLowerCase().startsWith("www.") ? `https://${raw}` : raw);
    if (href === undefined) continue;
    if (start > last) parts.push({ kind: "text", text: text.slice(last, start) });
    parts.push({ kind: "link", text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
}

/** The normalized URL if it parses and is http or https; undefined otherwise. */
export function safeHref(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}
