import type { MessageFrame, MessageInfo } from "@courier/protocol";
import type { StoredMessage } from "../store/store.ts";

/** The wire form of a stored message (the same shape serves REST history pages). */
export function toMessageFrame(message: StoredMessage): MessageFrame {
  return {
    t: "msg",
    conv: message.conversationId,
    id: message.id,
    seq: message.seq,
    from: message.senderId,
    cid: message.cid,
    ts: message.ts,
    content: message.content,
  };
}

export function toMessageInfo(message: StoredMessage): MessageInfo {
  const { t: _t, ...info } = toMessageFrame(message);
  return info;
}
