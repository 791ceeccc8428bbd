import type { ChatSummary } from "../state/types.ts";
import { ConversationRow } from "./ConversationRow.tsx";

interface Props {
  chats: ChatSummary[];
  me: string;
  active: string | undefined;
  onOpen: (id: string) => void;
  /** False while disconnected: presence may be stale, so online dots are hidden. */
  presenceKnown?: boolean;
  /** Conversation id → users typing in it. */
  typing?: Record<string, string[]>;
  /** User id → display name (group members): names the actors of group changes in previews. */
  names?: Record<string, string>;
}

/** The conversations, newest activity first. Sorting here keeps every caller's order right. */
export function ConversationList(props: Props) {
  const { chats, me, active, onOpen, presenceKnown = true, typing = {}, names } = props;
  if (chats.length === 0) {
    return <p className="empty-hint">No conversations yet. Find people to start one.</p>;
  }
  const sorted = [...chats].sort((a, b) => b.activity - a.activity);
  return (
    <ul className="chat-list" aria-label="Conversations">
      {sorted.map((chat) => (
        <ConversationRow
          key={chat.id}
          chat={chat}
          me={me}
          active={chat.id === active}
          onOpen={onOpen}
          presenceKnown={presenceKnown}
          typing={(typing[chat.id]?.length ?? 0) > 0}
          names={names}
        />
      ))}
    </ul>
  );
}
