import { newId } from "./ids.ts";
import { type MessageRow, toMessage } from "./rows.ts";
import { type Conn, InvalidRequestError } from "./store.sqlite.conn.ts";
import type { WriteCtx } from "./store.sqlite.ctx.ts";
import type { NewMessage, StoredMessage } from "./store.ts";

/** The message log: append (the hot path) and paging. */

export const MESSAGE_COLUMNS =
  "conversation_id, seq, id, sender_id, sender_device_id, cid, ts, content";

/** The stored message at (conversation, seq), if it was not pruned. */
export function messageAt(c: Conn, conversationId: string, seq: number): StoredMessage | undefined {
  const row = c
    .q(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq = ?`)
    .get(conversationId, seq);
  return row === undefined ? undefined : toMessage(row as unknown as MessageRow);
}

export function messagesAfter(
  c: Conn,
  conversationId: string,
  afterSeq: number,
  limit: number,
): StoredMessage[] {
  const rows = c
    .q(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    )
    .all(conversationId, afterSeq, Math.max(0, limit));
  return (rows as unknown as MessageRow[]).map(toMessage);
}

export function messagesBefore(
  c: Conn,
  conversationId: string,
  beforeSeq: number,
  limit: number,
): StoredMessage[] {
  // Newest `limit` below beforeSeq, read backwards on the primary key, then returned ascending.
  const rows = c
    .q(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    )
    .all(conversationId, beforeSeq, Math.max(0, limit));
  return (rows as unknown as MessageRow[]).map(toMessage).reverse();
}

/**
 * What appendMessage sends back to the main thread. A new message comes back as the three values
 * the store assigned (the caller already holds the rest, so it is not copied across threads);
 * a duplicate comes back whole.
 */
export type AppendOutcome = { id: string; seq: number; ts: number } | { duplicate: StoredMessage };

/**
 * Appends one message. The seq comes from the worker's cache, and the (cid, sender) uniqueness
 * check is the INSERT itself (ON CONFLICT DO NOTHING), so a new message costs one INSERT (and,
 * once relay mode has pruned anything, one probe of `sent_cids`). The INSERT is the only write, so a failure leaves nothing behind
 * and the op needs no savepoint.
 */
export function appendMessage(w: WriteCtx, m: NewMessage): AppendOutcome {
  const pruned = w.sentCidsInUse ? prunedMessage(w.conn, m) : undefined;
  if (pruned !== undefined) return { duplicate: pruned };
  const last = w.lastSeq(m.conversationId);
  if (last === undefined) throw new InvalidRequestError(`no conversation ${m.conversationId}`);
  const seq = last + 1;
  const id = newId();
  const { changes } = w.conn
    .q(
      `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (cid, sender_id) DO NOTHING`,
    )
    .run(
      m.conversationId,
      seq,
      id,
      m.senderId,
      m.senderDeviceId,
      m.cid,
      w.now,
      JSON.stringify(m.content),
    );
  if (Number(changes) === 0) {
    const row = w.conn
      .q(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND cid = ?`)
      .get(m.senderId, m.cid);
    return { duplicate: toMessage(row as unknown as MessageRow) };
  }
  w.appended(m.conversationId, seq, w.now);
  return { id, seq, ts: w.now };
}

/**
 * The dedupe key of a message relay mode already pruned, as the message the retry repeats. Its
 * content and sending device are gone, so they are taken from the retry, which carries the same
 * content by construction (the client resends its outbox).
 */
function prunedMessage(c: Conn, m: NewMessage): StoredMessage | undefined {
  const key = c
    .q("SELECT conversation_id, seq, id, ts FROM sent_cids WHERE sender_id = ? AND cid = ?")
    .get(m.senderId, m.cid) as
    | { conversation_id: string; seq: number; id: string; ts: number }
    | undefined;
  if (key === undefined) return undefined;
  return {
    conversationId: key.conversation_id,
    id: key.id,
    seq: key.seq,
    senderId: m.senderId,
    senderDeviceId: m.senderDeviceId,
    cid: m.cid,
    ts: key.ts,
    content: m.content,
  };
}
