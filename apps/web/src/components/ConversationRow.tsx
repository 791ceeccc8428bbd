import type { Content } from "@courier/protocol";
import { systemText } from "../lib/system-text.ts";
import { tickOf } from "../lib/ticks.ts";
import { formatListTime } from "../lib/time.ts";
import type { ChatSummary } from "../state/types.ts";
import { Avatar } from "./Avatar.tsx";
import { Ticks } from "./Ticks.tsx";

interface Props {
  chat: ChatSummary;
  me: string;
  active: boolean;
  onOpen: (id: string) => void;
  presenceKnown: boolean;
  /** The peer is typing in this conversation right now. */
  typing: boolean;
  names?: Record<string, string> | undefined;
}

/** One conversation in the list: who, the last message (with its ticks if mine), when, unread. */
export function ConversationRow({ chat, me, active, onOpen, presenceKnown, typing, names }: Props) {
  const last = chat.last;
  const mine = last !== undefined && last.from === me;
  const preview = last === undefined ? "No messages yet" : previewOf(last.content, me, names ?? {});
  return (
    <li className={`chat-row${active ? " chat-row-active" : ""}`}>
      <button
        type="button"
        className="chat-row-button"
        onClick={() => onOpen(chat.id)}
        aria-current={active ? "true" : undefined}
        data-conv={chat.id}
      >
        <Avatar
          id={chat.peer.id}
          name={chat.peer.displayName}
          online={presenceKnown && chat.presence.online}
        />
        <span className="chat-row-main">
          <span className="chat-row-top">
            <span className="chat-row-name">{chat.peer.displayName}</span>
            {last ? <time className="chat-row-time">{formatListTime(last.ts)}</time> : null}
          </span>
          <span className="chat-row-bottom">
            {typing ? (
              <span className="chat-row-preview chat-row-typing">typing…</span>
            ) : (
              <span className="chat-row-preview">
                {mine ? (
                  <Ticks
                    tick={tickOf(last, { delivered: chat.peerDelivered, read: chat.peerRead })}
                  />
                ) : null}
                <span className="chat-row-preview-text">{preview}</span>
              </span>
            )}
            {chat.unread > 0 ? (
              <span className="unread-badge" role="status" aria-label={`${chat.unread} unread`}>
                {chat.unread > 99 ? "99+" : chat.unread}
              </span>
            ) : null}
          </span>
        </span>
      </button>
    </li>
  );
}

function previewOf(content: Content, me: string, names: Record<string, string>): string {
  if (content.type === "system") return systemText(content, me, (id) => names[id] ?? "Someone");
  return content.type === "text" ? content.text : "Message";
}
