import type { LocalMessage } from "@courier/client";
import type { ChatSummary } from "../src/state/types.ts";

export const me = "u-me";
export const peer = { id: "u-ann", username: "ann", displayName: "Ann Example" };

let n = 0;

export function message(overrides: Partial<LocalMessage> = {}): LocalMessage {
  n += 1;
  return {
    conv: "d:u-ann:u-me",
    cid: `c${n}`,
    from: me,
    ts: Date.UTC(2026, 2, 3, 10, n),
    content: { type: "text", text: `message ${n}` },
    status: "sent",
    seq: n,
    ...overrides,
  };
}

export function chat(overrides: Partial<ChatSummary> = {}): ChatSummary {
  return {
    id: "d:u-ann:u-me",
    peer,
    presence: { online: false, lastSeen: 0 },
    last: undefined,
    unread: 0,
    readSeq: 0,
    peerDelivered: 0,
    peerRead: 0,
    activity: 0,
    ...overrides,
  };
}
