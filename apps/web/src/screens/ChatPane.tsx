import { useCallback } from "react";
import { Avatar } from "../components/Avatar.tsx";
import { Composer } from "../components/Composer.tsx";
import { ConnectionBanner } from "../components/ConnectionBanner.tsx";
import { MessageList } from "../components/MessageList.tsx";
import { TypingIndicator } from "../components/TypingIndicator.tsx";
import { formatPresence } from "../lib/time.ts";
import { emptyThread } from "../state/chats.ts";
import { useAppState, useController } from "../state/context.tsx";

const noTyping: string[] = [];

/** The open conversation: who it is with, the history, who is typing, and the composer. */
export function ChatPane({ conv }: { conv: string }) {
  const controller = useController();
  const me = useAppState((s) => s.me?.id ?? "");
  const chat = useAppState((s) => s.chats.find((c) => c.id === conv));
  const thread = useAppState((s) => s.threads[conv]) ?? emptyThread;
  const typing = useAppState((s) => s.typing[conv] ?? noTyping);
  // Presence is only as fresh as the connection: while away from the server it is not shown.
  const connection = useAppState((s) => s.connection);
  const networkUp = useAppState((s) => s.networkUp);
  const pending = useAppState((s) => s.pending);
  const connected = connection === "online";

  const loadOlder = useCallback(() => {
    controller.loadOlder(conv).catch(() => {});
  }, [controller, conv]);

  if (chat === undefined) return null;
  const peerTyping = typing.length > 0;
  return (
    <section
      className="chat-pane"
      aria-label={`Chat with ${chat.peer.displayName}`}
      // Escape leaves the chat, as the back button does (keyboard users on a phone layout).
      onKeyDown={(event) => {
        if (event.key === "Escape") controller.openChat(undefined);
      }}
    >
      <header className="chat-header">
        <button
          type="button"
          className="icon-button back-button"
          aria-label="Back to conversations"
          onClick={() => controller.openChat(undefined)}
        >
          ←
        </button>
        <Avatar
          id={chat.peer.id}
          name={chat.peer.displayName}
          online={connected && chat.presence.online}
        />
        <div className="chat-header-text">
          <h2>{chat.peer.displayName}</h2>
          <p className={peerTyping ? "chat-header-typing" : "chat-header-presence"}>
            {peerTyping ? "typing…" : connected ? formatPresence(chat.presence) : "\u00a0"}
          </p>
        </div>
      </header>
      {/* On a phone the sidebar (and its banner) is hidden while a chat is open: repeat it here. */}
      <ConnectionBanner connection={connection} networkUp={networkUp} pending={pending} />
      <MessageList
        messages={thread.messages}
        me={me}
        peer={{ delivered: chat.peerDelivered, read: chat.peerRead }}
        olderAvailable={thread.olderAvailable}
        loadingOlder={thread.loadingOlder}
        onLoadOlder={loadOlder}
        onRetry={(cid) => {
          controller.retry(cid).catch(() => {});
        }}
      />
      <TypingIndicator names={peerTyping ? [chat.peer.displayName] : []} />
      <Composer
        key={conv}
        onSend={(text) => {
          controller.send(conv, text).catch(() => {});
        }}
        onTyping={(on) => controller.setTyping(conv, on)}
      />
    </section>
  );
}
