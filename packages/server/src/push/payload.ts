import type { Content, PrivacyLevel, PushPayload } from "@courier/protocol";

/** Longest preview, in characters: a notification shows two lines at most, and Web Push caps the payload at 4 KB. */
export const PREVIEW_CHARS = 120;

export interface PayloadInput {
  level: PrivacyLevel;
  conversationId: string;
  seq: number;
  count: number;
  senderId: string;
  senderName: string;
  content: Content;
}

/**
 * The notification text for one coalesced burst, revealing what the user's level allows:
 * full — sender as title, preview as body; sender — sender, no text; none — "New message".
 */
export function buildPayload(input: PayloadInput): PushPayload {
  const { level, count } = input;
  const many = count > 1 ? `${count} new messages` : "New message";
  const base = { v: 1 as const, conv: input.conversationId, seq: input.seq, count };
  if (level === "none") return { ...base, title: "Courier", body: many };
  const sender = { id: input.senderId, name: input.senderName };
  if (level === "sender") return { ...base, title: input.senderName, body: many, sender };
  const text = preview(input.content);
  return {
    ...base,
    title: input.senderName,
    body: count > 1 ? `${many} · ${text}` : text,
    sender,
    preview: text,
  };
}

/** One line of text standing for the content; kinds without text get a label. */
export function preview(content: Content): string {
  switch (content.type) {
    case "text":
      return truncate(content.text.replace(/\s+/g, " ").trim());
    case "system":
      return "Group updated";
    default:
      return "New message";
  }
}

function truncate(text: string): string {
  const chars = [...text]; // by code point, so an emoji is never cut in half
  return chars.length <= PREVIEW_CHARS ? text : `${chars.slice(0, PREVIEW_CHARS - 1).join("")}…`;
}
