import type { MessageReceiptInfo } from "@courier/protocol";
import { useCallback, useMemo, useState } from "react";
import { Avatar } from "../components/Avatar.tsx";
import { Composer } from "../components/Composer.tsx";
import { ConnectionBanner } from "../components/ConnectionBanner.tsx";
import { type GroupActions, GroupInfoPanel } from "../components/GroupInfoPanel.tsx";
import { MessageInfoPanel } from "../components/MessageInfoPanel.tsx";
import { MessageList } from "../components/MessageList.tsx";
import { TypingIndicator } from "../components/TypingIndicator.tsx";
import { formatPresence } from "../lib/time.ts";
import { emptyThread } from "../state/chats.ts";
import { useAppState, useController } from "../state/context.tsx";

const noTyping: string[] = [];

type Overlay =
  | { kind: "none" }
  | { kind: "group" }
  | { kind: "message"; info: MessageReceiptInfo | undefined; error: string | undefined };

/**
 * The open conversation: who it is with, the history, who is typing, and the composer. A group
 * chat also has its info panel (from the header) and, for my messages, per-member message info.
 */
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
  const isGroup = conv.startsWith("g:");
  const group = useAppState((s) => s.groups[conv]);
  const names = useAppState((s) => s.names);
  const [overlay, setOverlay] = useState<Overlay>({ kind: "none" });
  const nameOf = useCallback(
    (id: string) => (id === me ? "You" : (names[id] ?? "Someone")),
    [me, names],
  );
  const actions = useMemo<GroupActions>(
    () => ({
      rename: (name) => controller.renameGroup(conv, name),
      add: (users) => controller.addMembers(conv, users),
      remove: (user) => controller.removeMember(conv, user),
      promote: (user) => controller.makeAdmin(conv, user),
      leave: () => controller.leaveGroup(conv),
      search: (prefix) => controller.client.searchUsers(prefix),
    }),
    [controller, conv],
  );
  const groupView = useMemo(
    () =>
      isGroup
        ? {
            name: nameOf,
            onInfo: (seq: number) => {
              setOverlay({ kind: "message", info: undefined, error: undefined });
              controller.messageInfo(conv, seq).then(
                (info) => setOverlay({ kind: "message", info, error: undefined }),
                () =>
                  setOverlay({ kind: "message", info: undefined, error: "Could not load info." }),
              );
            },
          }
        : undefined,
    [isGroup, nameOf, controller, conv],
  );

  const loadOlder = useCallback(() => {
    controller.loadOlder(conv).catch(() => {});
  }, [controller, conv]);

  if (chat === undefined) return null;
  const peerTyping = typing.length > 0;
  const canWrite = !isGroup || group?.member !== false;
  const subtitle = peerTyping
    ? isGroup
      ? `${typing.map(nameOf).join(", ")} typing…`
      : "typing…"
    : isGroup
      ? group?.member === false
        ? "You're no longer a member"
        : group?.info
          ? `${group.info.members.length} members`
          : "\u00a0"
      : connected
        ? formatPresence(chat.presence)
        : "\u00a0";
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
          <p className={peerTyping ? "chat-header-typing" : "chat-header-presence"}>{subtitle}</p>
        </div>
        {isGroup ? (
          <button
            type="button"
            className="header-button"
            aria-expanded={overlay.kind === "group"}
            onClick={() => {
              setOverlay(overlay.kind === "group" ? { kind: "none" } : { kind: "group" });
              controller.loadGroup(conv).catch(() => {});
            }}
          >
            Group info
          </button>
        ) : null}
      </header>
      {/* On a phone the sidebar (and its banner) is hidden while a chat is open: repeat it here. */}
      <ConnectionBanner connection={connection} networkUp={networkUp} pending={pending} />
      {overlay.kind === "group" && group?.info ? (
        <GroupInfoPanel
          group={group.info}
          me={me}
          member={group.member}
          actions={actions}
          onClose={() => setOverlay({ kind: "none" })}
        />
      ) : null}
      {overlay.kind === "message" ? (
        <MessageInfoPanel
          info={overlay.info}
          error={overlay.error}
          name={nameOf}
          onClose={() => setOverlay({ kind: "none" })}
        />
      ) : null}
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
        group={groupView}
      />
      <TypingIndicator
        names={peerTyping ? (isGroup ? typing.map(nameOf) : [chat.peer.displayName]) : []}
      />
      {canWrite ? (
        <Composer
          key={conv}
          onSend={(text) => {
            controller.send(conv, text).catch(() => {});
          }}
          onTyping={(on) => controller.setTyping(conv, on)}
        />
      ) : (
        <p className="not-member" role="status">
          You can't send messages to this group because you're no longer a member.
        </p>
      )}
    </section>
  );
}
