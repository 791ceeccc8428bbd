import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from "react";

interface Props {
  onSend: (text: string) => void;
  /** Called with true when typing starts and false after a pause, a send or leaving. */
  onTyping?: (on: boolean) => void;
  /** How long without a keystroke counts as having stopped typing, ms. */
  typingIdleMs?: number;
}

/**
 * The message input. Enter sends, Shift+Enter adds a line; blank messages are not sent. It works
 * offline too: the SDK puts the message in its outbox, and the list shows it with a clock.
 */
export function Composer({ onSend, onTyping, typingIdleMs = 3000 }: Props) {
  const [text, setText] = useState("");
  const typing = useRef(false);
  const idleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const input = useRef<HTMLTextAreaElement>(null);

  const stopTyping = () => {
    clearTimeout(idleTimer.current);
    if (typing.current) {
      typing.current = false;
      onTyping?.(false);
    }
  };

  // Leaving the conversation (unmount) also ends the typing indicator on the other side.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once, on unmount
  useEffect(() => stopTyping, []);

  const change = (value: string) => {
    setText(value);
    if (value.trim() === "") {
      stopTyping();
      return;
    }
    // Reported on every keystroke: the SDK throttles it to one frame per few seconds, and the
    // repeats keep the other side's indicator alive through long messages.
    typing.current = true;
    onTyping?.(true);
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(stopTyping, typingIdleMs);
  };

  const send = () => {
    const body = text.trim();
    if (body === "") return;
    onSend(body);
    setText("");
    stopTyping();
    input.current?.focus();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        ref={input}
        className="composer-input"
        aria-label="Message"
        placeholder="Message"
        rows={1}
        value={text}
        maxLength={16384}
        onChange={(event) => change(event.target.value)}
        onKeyDown={keyDown}
      />
      <button type="submit" className="composer-send" aria-label="Send" disabled={!text.trim()}>
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path d="M3 20.5 21 12 3 3.5l.01 6.6L15 12 3.01 13.9z" fill="currentColor" />
        </svg>
      </button>
    </form>
  );
}
