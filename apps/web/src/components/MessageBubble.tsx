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
  onRetry?: (cid: string) => void;
}

/** One message: mine on the right with ticks, theirs on the left. */
export function MessageBubble({ message, mine, tick, onRetry }: Props) {
  const text = message.content.type === "text" ? message.content.text : "Unsupported message";
  return (
    <li
      className={`bubble ${mine ? "bubble-mine" : "bubble-theirs"}`}
      data-cid={message.cid}
      data-seq={message.seq}
    >
      <MessageText text={text} />
      <span className="bubble-meta">
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
