/** "Alice is typing…", announced politely to screen readers. */
export function TypingIndicator({ names }: { names: string[] }) {
  return (
    <div className="typing-indicator" aria-live="polite">
      {names.length === 0 ? null : (
        <span>
          {names.join(", ")} {names.length === 1 ? "is" : "are"} typing
          <span className="typing-dots" aria-hidden="true">
            <span>.</span>
            <span>.</span>
            <span>.</span>
          </span>
        </span>
      )}
    </div>
  );
}
