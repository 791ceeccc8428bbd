import type { LocalMessage } from "@courier/client";
import type {
  ConversationSummary,
  GroupReceiptFrame,
  MessageInfo,
  ReceiptFrame,
} from "@courier/protocol";
import { directPeer, isDirectConversation } from "@courier/protocol";
import type { ChatSummary, Thread } from "./types.ts";

/**
 * Pure updates of the conversation list and threads from server summaries and SDK events. Kept
 * apart from the wiring so they are easy to test and to reason about: each returns new values.
 */

export function fromServerMessage(m: MessageInfo, me: string): LocalMessage {
  return { ...m, status: m.from === me ? "sent" : "received" };
}

export function chatFromSummary(s: ConversationSummary, me: string): ChatSummary {
  const last = s.lastMessage === null ? undefined : fromServerMessage(s.lastMessage, me);
  // Groups have no single peer: the row shows the group's title and no presence.
  const peer = s.peer ?? {
    id: s.id,
    username: "",
    displayName: s.title,
    online: false,
    lastSeen: 0,
  };
  return {
    id: s.id,
    peer: { id: peer.id, username: peer.username, displayName: peer.displayName },
    presence: { online: peer.online, lastSeen: peer.lastSeen },
    last,
    unread: s.unread,
    readSeq: s.readSeq,
    peerDelivered: s.peerDelivered,
    peerRead: s.peerRead,
    activity: last?.ts ?? 0,
  };
}

/** A placeholder row for a conversation the list has not heard of yet (a first message). */
export function chatFromMessage(m: LocalMessage, me: string): ChatSummary {
  const peerId = directPeer(m.conv, me) ?? m.from;
  return {
    id: m.conv,
    peer: { id: peerId, username: peerId, displayName: peerId },
    presence: { online: false, lastSeen: 0 },
    last: undefined,
    unread: 0,
    readSeq: 0,
    peerDelivered: 0,
    peerRead: 0,
    activity: 0,
  };
}

/**
 * Server summaries replace what the list knew, except where this device knows something newer:
 * a later last message (an outbox message, one received after the fetch) and further cursors.
 */
export function mergeSummaries(
  local: ChatSummary[],
  server: ConversationSummary[],
  me: string,
): ChatSummary[] {
  const byId = new Map(local.map((c) => [c.id, c]));
  const merged = server.map((s) => {
    const fresh = chatFromSummary(s, me);
    const known = byId.get(s.id);
    byId.delete(s.id);
    if (known === undefined) return fresh;
    const newer = known.last !== undefined && isAfter(known.last, fresh.last);
    return {
      ...fresh,
      last: newer ? known.last : fresh.last,
      activity: Math.max(fresh.activity, known.activity),
      peerDelivered: Math.max(fresh.peerDelivered, known.peerDelivered),
      peerRead: Math.max(fresh.peerRead, known.peerRead),
      readSeq: Math.max(fresh.readSeq, known.readSeq),
      unread: newer ? known.unread : fresh.unread,
    };
  });
  // Conversations only this device knows of yet (created offline) stay in the list.
  return merged.concat([...byId.values()]);
}

function isAfter(a: LocalMessage, b: LocalMessage | undefined): boolean {
  if (b === undefined) return true;
  if (a.seq === undefined) return a.ts >= b.ts;
  return b.seq === undefined ? false : a.seq > b.seq;
}

/**
 * A message arrived or one of mine changed: it becomes the row's last message if it is at least
 * as new, and a message from the peer that the reader is not looking at counts as unread.
 */
export function applyMessage(
  chats: ChatSummary[],
  m: LocalMessage,
  me: string,
  seenNow: boolean,
): ChatSummary[] {
  let found = false;
  const next = chats.map((chat) => {
    if (chat.id !== m.conv) return chat;
    found = true;
    return updateChat(chat, m, me, seenNow);
  });
  if (found) return next;
  return [...next, updateChat(chatFromMessage(m, me), m, me, seenNow)];
}

function updateChat(chat: ChatSummary, m: LocalMessage, me: string, seenNow: boolean): ChatSummary {
  const sameMessage =
    chat.last !== undefined && chat.last.cid === m.cid && chat.last.from === m.from;
  const isLast = sameMessage || chat.last === undefined || isAfter(m, chat.last);
  const fromPeer = m.from !== me;
  const unseen = fromPeer && !seenNow && !sameMessage && (m.seq ?? 0) > chat.readSeq;
  return {
    ...chat,
    last: isLast ? m : chat.last,
    activity: Math.max(chat.activity, isLast ? m.ts : 0),
    unread: unseen ? chat.unread + 1 : chat.unread,
  };
}

/** The peer's cursors moved (my ticks), or mine did from another device (unread resets). */
export function applyReceipt(chats: ChatSummary[], r: ReceiptFrame, me: string): ChatSummary[] {
  return chats.map((chat) => {
    if (chat.id !== r.conv) return chat;
    if (r.user === me) {
      const readSeq = Math.max(chat.readSeq, r.read);
      const caughtUp = chat.last === undefined || (chat.last.seq ?? 0) <= readSeq;
      return { ...chat, readSeq, unread: caughtUp ? 0 : chat.unread };
    }
    // In a group one member's cursor says nothing about the others: `group_receipt` does.
    if (!isDirectConversation(chat.id)) return chat;
    return {
      ...chat,
      peerDelivered: Math.max(chat.peerDelivered, r.delivered),
      peerRead: Math.max(chat.peerRead, r.read),
    };
  });
}

/** Every other member of a group has delivered / read up to these seqs (my ticks there). */
export function applyGroupReceipt(chats: ChatSummary[], r: GroupReceiptFrame): ChatSummary[] {
  return chats.map((chat) =>
    chat.id === r.conv
      ? {
          ...chat,
          peerDelivered: Math.max(chat.peerDelivered, r.delivered, r.read),
          peerRead: Math.max(chat.peerRead, r.read),
        }
      : chat,
  );
}

/** A group's name changed (its info was fetched): the list row and chat header show it. */
export function renameChat(chats: ChatSummary[], conv: string, name: string): ChatSummary[] {
  return chats.map((chat) =>
    chat.id === conv && chat.peer.displayName !== name
      ? { ...chat, peer: { ...chat.peer, displayName: name } }
      : chat,
  );
}

export function applyPresence(
  chats: ChatSummary[],
  user: string,
  online: boolean,
  lastSeen: number,
): ChatSummary[] {
  return chats.map((chat) =>
    chat.peer.id === user ? { ...chat, presence: { online, lastSeen } } : chat,
  );
}

export function markChatRead(chats: ChatSummary[], conv: string, seq: number): ChatSummary[] {
  return chats.map((chat) =>
    chat.id === conv ? { ...chat, unread: 0, readSeq: Math.max(chat.readSeq, seq) } : chat,
  );
}

/** Inserts or replaces (by sender and cid) messages in a thread, keeping it in display order. */
export function upsertMessages(thread: Thread, incoming: LocalMessage[]): Thread {
  const byKey = new Map(thread.messages.map((m) => [`${m.from}/${m.cid}`, m]));
  for (const m of incoming) byKey.set(`${m.from}/${m.cid}`, m);
  return { ...thread, messages: [...byKey.values()].sort(displayOrder) };
}

/** Stored messages by seq; outbox messages (no seq yet) after them, in the order written. */
export function displayOrder(a: LocalMessage, b: LocalMessage): number {
  if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
  if (a.seq !== undefined) return -1;
  if (b.seq !== undefined) return 1;
  return a.ts - b.ts;
}

export const emptyThread: Thread = { messages: [], olderAvailable: false, loadingOlder: false };
