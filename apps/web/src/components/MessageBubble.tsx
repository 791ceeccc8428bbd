import type { LocalMessage } from "@courier/client";
import type { Tick } from "../lib/ticks.ts";
import { formatClock } from "../lib/time.ts";
import { MessageText } from "./MessageText.tsx";
import { Ticks } from "./Ticks.tsx";

interface Props {
  message: LocalMessage;
  mine: boolean;
  /** For my messages: the delivery step to show. */
  tick: Tick | undefined;
  /** In groups, for others' messages: who wrote it. */
  sender?: string | undefined;
  onRetry?: (cid: string) => void;
  /** In groups, for my stored messages: open the per-member delivery and read times. */
  onInfo?: ((seq: number) => void) | undefined;
}

/** One message: mine on the right with ticks, theirs on the left (with the sender in groups). */
export function MessageBubble({ message, mine, tick, sender, onRetry, onInfo }: Props) {
  const text = message.content.type === "text" ? message.content.text : "Unsupported message";
  const seq = message.seq;
  return (
    <li
      className={`bubble ${mine ? "bubble-mine" : "bubble-theirs"}`}
      data-cid={message.cid}
      data-seq={seq}
    >
      {!mine && sender !== undefined ? <span className="bubble-sender">{sender}</span> : null}
      <MessageText text={text} />
      <span className="bubble-meta">
        {mine && onInfo && seq !== undefined ? (
          <button
            type="button"
            className="bubble-info"
            aria-label="Message info"
            onClick={() => onInfo(seq)}
          >
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
              <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
              <path
                d="M8 7v4.5M8 4.6v.1"
                stroke="currentColor"
                strokeWidth="1.6"
                strokeLinecap="round"
              />
            </svg>
          </button>
        ) : null}
        <time dateTime={new Date(message.ts).toISOString()}>{formatClock(message.ts)}</time>
        {mine && tick ? <Ticks tick={tick} /> : null}
      </span>
      {mine && tick === "failed" && onRetry ? (
        <button type="button" className="bubble-retry" onClick={() => onRetry(message.cid)}>
          Not sent: retry
        </button>
      ) : null}
    </li>
  );
}
