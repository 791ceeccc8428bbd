import type { Content } from "./content.ts";
import type { ErrorCode } from "./errors.ts";
import type { UserInfo } from "./rest.ts";

/**
 * Frames the server sends. Within one connection frames arrive in the order the server produced
 * them; a WebSocket message carries either one frame object or an array of frames (the server
 * batches everything produced for a connection in one event-loop tick into one message).
 */

/** Authentication succeeded. Sync of missed messages and receipts follows, then `synced`. */
export interface ReadyFrame {
  t: "ready";
  user: UserInfo;
  device: string;
  /** Server clock in ms since the epoch, for the client to estimate skew. */
  time: number;
}

/** Step 2: the message with this `cid` is durably stored. Sent to the sending device only. */
export interface SentFrame {
  t: "sent";
  cid: string;
  conv: string;
  id: string;
  seq: number;
  ts: number;
}

/** A stored message, delivered live or during sync. Sent to every device of every member but the sending one. */
export interface MessageFrame {
  t: "msg";
  conv: string;
  id: string;
  seq: number;
  /** Sender's user id. */
  from: string;
  cid: string;
  ts: number;
  content: Content;
}

/**
 * A member's cursors in a conversation moved: every message up to `delivered` has reached at least
 * one of that member's devices, every message up to `read` has been read on one. Cumulative, so a
 * client applies the highest it has seen and never goes back.
 */
export interface ReceiptFrame {
  t: "receipt";
  conv: string;
  user: string;
  delivered: number;
  read: number;
}

export interface TypingEventFrame {
  t: "typing";
  conv: string;
  user: string;
  on: boolean;
}

export interface PresenceFrame {
  t: "presence";
  user: string;
  online: boolean;
  /** ms since the epoch; the moment the user was last seen online (now, when online). */
  lastSeen: number;
}

/**
 * Groups: every member other than you has received (`delivered`) / read (`read`) every message
 * up to these seqs. Sent to members with recent messages in the group, throttled, instead of
 * one `receipt` per member: a thousand members reading is one frame, not a thousand.
 */
export interface GroupReceiptFrame {
  t: "group_receipt";
  conv: string;
  delivered: number;
  read: number;
}

/**
 * Large groups ("push to notify, pull to serve"): messages up to `seq` exist in `conv`; pull
 * what you are missing. Several notifies for one conversation may be coalesced into the last.
 */
export interface NotifyFrame {
  t: "notify";
  conv: string;
  seq: number;
}

/** The sync that follows `ready` is complete: every message and receipt missed while away has been sent. */
export interface SyncedFrame {
  t: "synced";
}

/** Answer to `pull`: the `msg` frames for `conv` up to `upTo` precede it; `more` says whether to pull again. */
export interface PulledFrame {
  t: "pulled";
  conv: string;
  upTo: number;
  more: boolean;
}

export interface ErrorFrame {
  t: "error";
  code: ErrorCode;
  message: string;
  /** The client id of the `send` the error is about, when there is one. */
  ref?: string;
}

export interface PongFrame {
  t: "pong";
  n?: number;
  time: number;
}

export type ServerFrame =
  | ReadyFrame
  | SentFrame
  | MessageFrame
  | ReceiptFrame
  | GroupReceiptFrame
  | NotifyFrame
  | TypingEventFrame
  | PresenceFrame
  | SyncedFrame
  | PulledFrame
  | ErrorFrame
  | PongFrame;
