import { linkify } from "../lib/linkify.ts";

/**
 * A message's text as React text nodes, with http(s) links made clickable. Nothing is ever set as
 * HTML; links open in a new tab without giving it a handle on this one (`noopener`) or leaking the
 * app's URL (`noreferrer`).
 */
export function MessageText({ text }: { text: string }) {
  return (
    <span className="message-text">
      {linkify(text).map((part, i) =>
        part.kind === "link" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text never reorder
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text never reorder
          <span key={i}>{part.text}</span>
        ),
      )}
    </span>
  );
}
