import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Composer } from "../src/components/Composer.tsx";

describe("<Composer>", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends on Enter, trims, and clears the input", async () => {
    const onSend = vi.fn();
    const user = userEvent.setup({ delay: null });
    render(<Composer onSend={onSend} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "  hello there  {Enter}");
    expect(onSend).toHaveBeenCalledExactlyOnceWith("hello there");
    expect((box as HTMLTextAreaElement).value).toBe("");
  });

  it("adds a line on Shift+Enter instead of sending", async () => {
    const onSend = vi.fn();
    const user = userEvent.setup({ delay: null });
    render(<Composer onSend={onSend} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await user.type(box, "one{Shift>}{Enter}{/Shift}two");
    expect(onSend).not.toHaveBeenCalled();
    expect((box as HTMLTextAreaElement).value).toBe("one\ntwo");
    await user.click(screen.getByRole("button", { name: "Send" }));
    expect(onSend).toHaveBeenCalledExactlyOnceWith("one\ntwo");
  });

  it("never sends a blank message; the send button is disabled", async () => {
    const onSend = vi.fn();
    const user = userEvent.setup({ delay: null });
    render(<Composer onSend={onSend} />);
    const send = screen.getByRole("button", { name: "Send" }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    await user.type(screen.getByRole("textbox", { name: "Message" }), "   {Enter}");
    expect(onSend).not.toHaveBeenCalled();
    expect(send.disabled).toBe(true);
  });

  it("reports typing, and stops after a pause, a send, or leaving", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const onTyping = vi.fn();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { unmount } = render(
      <Composer onSend={() => {}} onTyping={onTyping} typingIdleMs={1000} />,
    );
    const box = screen.getByRole("textbox", { name: "Message" });

    await user.type(box, "hi");
    expect(onTyping).toHaveBeenLastCalledWith(true);
    act(() => {
      vi.advanceTimersByTime(1500);
    });
    expect(onTyping).toHaveBeenLastCalledWith(false);

    await user.type(box, "!{Enter}");
    expect(onTyping).toHaveBeenLastCalledWith(false);

    await user.type(box, "more");
    expect(onTyping).toHaveBeenLastCalledWith(true);
    unmount();
    expect(onTyping).toHaveBeenLastCalledWith(false);
  });
});
