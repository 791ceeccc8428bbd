import type { ConnectionState, LocalMessage } from "@courier/client";
import type { GroupInfo, Presence, UserInfo } from "@courier/protocol";

/** One row of the conversation list, kept live from SDK events. */
export interface ChatSummary {
  id: string;
  peer: UserInfo;
  presence: Presence;
  /** The newest message, mine (possibly still pending) or theirs. */
  last: LocalMessage | undefined;
  /** Messages from the peer I have not read. */
  unread: number;
  /** My read cursor. */
  readSeq: number;
  /** The peer's cursors: my messages up to these seqs have two ticks / blue ticks. */
  peerDelivered: number;
  peerRead: number;
  /** ms since the epoch of the latest activity: the list is sorted by it, newest first. */
  activity: number;
}

/** The messages of one conversation the chat view has loaded, oldest first. */
export interface Thread {
  messages: LocalMessage[];
  /** Older messages exist (locally or on the server) before the first one loaded. */
  olderAvailable: boolean;
  loadingOlder: boolean;
}

export type Panel = "chats" | "people" | "devices";

/** What this device knows of a group: its info (when fetched) and whether I am still in it. */
export interface GroupState {
  info: GroupInfo | undefined;
  /** False once I left or was removed: the chat stays readable but cannot be written to. */
  member: boolean;
}

export interface AppState {
  phase: "booting" | "signed-out" | "signed-in";
  me: UserInfo | undefined;
  connection: ConnectionState;
  /** The browser says it has a network (`navigator.onLine` and its events). */
  networkUp: boolean;
  chats: ChatSummary[];
  threads: Record<string, Thread>;
  /** Conversation id → user ids typing in it right now. */
  typing: Record<string, string[]>;
  /** The open conversation, if any. */
  active: string | undefined;
  /** Group conversation id → its info and my membership. */
  groups: Record<string, GroupState>;
  /** User id → display name, from every group member list seen (former members included). */
  names: Record<string, string>;
  panel: Panel;
  /** My messages waiting in the outbox (shown in the offline banner). */
  pending: number;
}

export const initialState: AppState = {
  phase: "booting",
  me: undefined,
  connection: "offline",
  networkUp: true,
  chats: [],
  threads: {},
  typing: {},
  active: undefined,
  groups: {},
  names: {},
  panel: "chats",
  pending: 0,
};
