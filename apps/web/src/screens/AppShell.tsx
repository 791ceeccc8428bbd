import { useEffect } from "react";
import { ConnectionBanner } from "../components/ConnectionBanner.tsx";
import { ConversationList } from "../components/ConversationList.tsx";
import { NotificationSettings } from "../components/NotificationSettings.tsx";
import { useAppState, useController } from "../state/context.tsx";
import type { Panel } from "../state/types.ts";
import { ChatPane } from "./ChatPane.tsx";
import { DevicesPanel } from "./DevicesPanel.tsx";
import { PeoplePanel } from "./PeoplePanel.tsx";

const panels: Array<{ id: Panel; label: string }> = [
  { id: "chats", label: "Chats" },
  { id: "people", label: "New chat" },
  { id: "devices", label: "Devices" },
];

/**
 * The signed-in app: a sidebar (chats, people, devices) and the open chat. On a phone only one of
 * the two shows at a time (CSS switches on `has-active`); on a desktop they sit side by side.
 */
export function AppShell() {
  const controller = useController();
  const me = useAppState((s) => s.me);
  const chats = useAppState((s) => s.chats);
  const active = useAppState((s) => s.active);
  const panel = useAppState((s) => s.panel);
  const connection = useAppState((s) => s.connection);
  const networkUp = useAppState((s) => s.networkUp);
  const pending = useAppState((s) => s.pending);
  const typing = useAppState((s) => s.typing);
  const names = useAppState((s) => s.names);
  const unread = chats.reduce((sum, chat) => sum + chat.unread, 0);

  // The tab title counts unread messages, so they show while another tab is in front.
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Courier` : "Courier";
  }, [unread]);

  return (
    <div className={`shell${active ? " has-active" : ""}`}>
      <aside className="sidebar">
        <header className="sidebar-header">
          <span className="sidebar-me">
            <span className="brand">Courier</span>
            <span className="me-name">{me?.displayName}</span>
          </span>
        </header>
        <nav className="tabs" aria-label="Sections">
          {panels.map((p) => (
            <button
              key={p.id}
              type="button"
              className="tab"
              aria-pressed={panel === p.id}
              onClick={() => controller.showPanel(p.id)}
            >
              {p.label}
            </button>
          ))}
        </nav>
        <ConnectionBanner connection={connection} networkUp={networkUp} pending={pending} />
        <div className="sidebar-body">
          {panel === "chats" ? (
            <ConversationList
              chats={chats}
              me={me?.id ?? ""}
              active={active}
              presenceKnown={connection === "online"}
              typing={typing}
              names={names}
              onOpen={(id) => {
                controller.openChat(id).catch(() => {});
              }}
            />
          ) : panel === "people" ? (
            <PeoplePanel />
          ) : (
            <>
              <NotificationSettings />
              <DevicesPanel />
            </>
          )}
        </div>
      </aside>
      <main className="main-pane">
        {active ? (
          <ChatPane conv={active} />
        ) : (
          <div className="no-chat">
            <p>Select a conversation, or start a new one.</p>
          </div>
        )}
      </main>
    </div>
  );
}
