import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ConversationList } from "../src/components/ConversationList.tsx";
import { chat, me, message } from "./fixtures.ts";

const bob = { id: "u-bob", username: "bob", displayName: "Bob Stone" };
const cy = { id: "u-cy", username: "cy", displayName: "Cy Twombly" };

describe("<ConversationList>", () => {
  it("sorts conversations by latest activity, newest first", () => {
    render(
      <ConversationList
        me={me}
        active={undefined}
        onOpen={() => {}}
        chats={[
          chat({ id: "a", activity: 100 }),
          chat({ id: "b", peer: bob, activity: 300 }),
          chat({ id: "c", peer: cy, activity: 200 }),
        ]}
      />,
    );
    const names = screen
      .getAllByRole("button")
      .map((b) => b.querySelector(".chat-row-name")?.textContent);
    expect(names).toEqual(["Bob Stone", "Cy Twombly", "Ann Example"]);
  });

  it("shows the last message, an unread badge, presence and my message's ticks", () => {
    render(
      <ConversationList
        me={me}
        active={undefined}
        onOpen={() => {}}
        chats={[
          chat({
            id: "a",
            presence: { online: true, lastSeen: 0 },
            last: message({ from: "u-ann", content: { type: "text", text: "see you" } }),
            unread: 3,
          }),
          chat({
            id: "b",
            peer: bob,
            last: message({ seq: 7, content: { type: "text", text: "on my way" } }),
            peerDelivered: 7,
          }),
        ]}
      />,
    );
    const [ann, bobRow] = screen.getAllByRole("listitem");
    if (ann === undefined || bobRow === undefined) throw new Error("two rows expected");
    expect(within(ann).getByText("see you")).toBeTruthy();
    expect(within(ann).getByRole("status", { name: "3 unread" }).textContent).toBe("3");
    expect(ann.querySelector(".avatar-online")).not.toBeNull();
    expect(within(ann).queryByRole("img")).toBeNull(); // no ticks on their messages
    expect(within(bobRow).getByText("on my way")).toBeTruthy();
    expect(within(bobRow).getByRole("img", { name: "Delivered" })).toBeTruthy();
    expect(within(bobRow).queryByRole("status")).toBeNull(); // nothing unread
    expect(bobRow.querySelector(".avatar-online")).toBeNull();
  });

  it("caps the badge at 99+", () => {
    render(
      <ConversationList
        me={me}
        active={undefined}
        onOpen={() => {}}
        chats={[chat({ unread: 250 })]}
      />,
    );
    expect(screen.getByRole("status", { name: "250 unread" }).textContent).toBe("99+");
  });

  it("opens a conversation by click or keyboard and marks the open one", async () => {
    const onOpen = vi.fn();
    const user = userEvent.setup({ delay: null });
    render(
      <ConversationList
        me={me}
        active="b"
        onOpen={onOpen}
        chats={[chat({ id: "a", activity: 2 }), chat({ id: "b", peer: bob, activity: 1 })]}
      />,
    );
    await user.click(screen.getByRole("button", { name: /Ann Example/ }));
    expect(onOpen).toHaveBeenLastCalledWith("a");
    await user.tab();
    await user.keyboard("{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith("b");
    expect(screen.getByRole("button", { name: /Bob Stone/ }).getAttribute("aria-current")).toBe(
      "true",
    );
  });

  it("invites to start a conversation when there is none", () => {
    render(<ConversationList me={me} active={undefined} onOpen={() => {}} chats={[]} />);
    expect(screen.getByText(/No conversations yet/)).toBeTruthy();
  });
});

describe("<ConversationList> typing", () => {
  it("shows typing… instead of the preview while the peer types", () => {
    render(
      <ConversationList
        me={me}
        active={undefined}
        onOpen={() => {}}
        typing={{ a: ["u-ann"] }}
        chats={[chat({ id: "a", last: message({ content: { type: "text", text: "older" } }) })]}
      />,
    );
    expect(screen.getByText("typing…")).toBeTruthy();
    expect(screen.queryByText("older")).toBeNull();
  });
});
