import type { LocalMessage } from "@courier/client";
import { Fragment, useLayoutEffect, useRef } from "react";
import { type PeerCursors, tickOf } from "../lib/ticks.ts";
import { dayOf } from "../lib/time.ts";
import { DayDivider } from "./DayDivider.tsx";
import { MessageBubble } from "./MessageBubble.tsx";
import { SystemLine } from "./SystemLine.tsx";

interface Props {
  messages: LocalMessage[];
  me: string;
  peer: PeerCursors;
  olderAvailable: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onRetry: (cid: string) => void;
  /** Group chats: resolves senders' names (shown on others' bubbles and in system lines). */
  group?: { name: (id: string) => string; onInfo: (seq: number) => void } | undefined;
}

/**
 * The scrollable history, grouped by day. It follows new messages while the reader is at the
 * bottom, keeps the reader's place when older messages are prepended, and loads older ones when
 * scrolled to the top (or through the button, for keyboards).
 */
export function MessageList(props: Props) {
  const { messages, me, peer, olderAvailable, loadingOlder, onLoadOlder, onRetry, group } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const before = useRef({ first: "", height: 0 });

  // Runs before paint after each change: prepend → keep place; append at bottom → follow.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    const first = messages[0]?.cid ?? "";
    if (before.current.first !== "" && first !== before.current.first && !atBottom.current) {
      el.scrollTop += el.scrollHeight - before.current.height;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    before.current = { first, height: el.scrollHeight };
  }, [messages]);

  const scrolled = () => {
    const el = scroller.current;
    if (el === null) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 60 && olderAvailable && !loadingOlder) onLoadOlder();
  };

  let lastDay = -1;
  return (
    <div className="message-scroller" ref={scroller} onScroll={scrolled}>
      {olderAvailable ? (
        <button type="button" className="load-older" onClick={onLoadOlder} disabled={loadingOlder}>
          {loadingOlder ? "Loading…" : "Load earlier messages"}
        </button>
      ) : null}
      <ol className="message-list" aria-label="Messages">
        {messages.map((message) => {
          const day = dayOf(message.ts);
          const divider = day !== lastDay ? <DayDivider day={day} /> : null;
          lastDay = day;
          const mine = message.from === me;
          const key = `${message.from}/${message.cid}`;
          if (message.content.type === "system") {
            return (
              <Fragment key={key}>
                {divider}
                <SystemLine content={message.content} me={me} name={group?.name ?? String} />
              </Fragment>
            );
          }
          return (
            <Fragment key={key}>
              {divider}
              <MessageBubble
                message={message}
                mine={mine}
                tick={mine ? tickOf(message, peer) : undefined}
                sender={group && !mine ? group.name(message.from) : undefined}
                onRetry={onRetry}
                onInfo={group?.onInfo}
              />
            </Fragment>
          );
        })}
      </ol>
    </div>
  );
}
