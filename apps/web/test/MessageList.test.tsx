import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { MessageList } from "../src/components/MessageList.tsx";
import { me, message, peer } from "./fixtures.ts";

const day = (d: number, minute: number) => new Date(2026, 2, d, 10, minute).getTime();

describe("<MessageList>", () => {
  it("groups messages by day, mine with ticks and theirs without", () => {
    const { container } = render(
      <MessageList
        me={me}
        peer={{ delivered: 2, read: 1 }}
        olderAvailable={false}
        loadingOlder={false}
        onLoadOlder={() => {}}
        onRetry={() => {}}
        messages={[
          message({ seq: 1, ts: day(2, 1) }),
          message({ seq: 2, ts: day(2, 2), from: peer.id, status: "received" }),
          message({ seq: 3, ts: day(3, 1) }),
          message({ seq: undefined, status: "pending", ts: day(3, 2) }),
        ]}
      />,
    );
    expect(container.querySelectorAll(".day-divider")).toHaveLength(2);
    expect(container.querySelectorAll(".bubble-mine")).toHaveLength(3);
    expect(container.querySelectorAll(".bubble-theirs")).toHaveLength(1);
    const ticks = [...container.querySelectorAll("[data-tick]")].map((t) =>
      t.getAttribute("data-tick"),
    );
    expect(ticks).toEqual(["read", "sent", "pending"]);
  });

  it("offers older history through a button a keyboard can reach", async () => {
    const onLoadOlder = vi.fn();
    const user = userEvent.setup({ delay: null });
    render(
      <MessageList
        me={me}
        peer={{ delivered: 0, read: 0 }}
        olderAvailable={true}
        loadingOlder={false}
        onLoadOlder={onLoadOlder}
        onRetry={() => {}}
        messages={[message({ seq: 51 })]}
      />,
    );
    await user.tab();
    await user.keyboard("{Enter}");
    expect(onLoadOlder).toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Load earlier messages" })).toBeTruthy();
  });

  it("lets a failed message be retried", async () => {
    const onRetry = vi.fn();
    const user = userEvent.setup({ delay: null });
    const failed = message({ seq: undefined, status: "failed", error: "not_member" });
    render(
      <MessageList
        me={me}
        peer={{ delivered: 0, read: 0 }}
        olderAvailable={false}
        loadingOlder={false}
        onLoadOlder={() => {}}
        onRetry={onRetry}
        messages={[failed]}
      />,
    );
    await user.click(screen.getByRole("button", { name: /retry/ }));
    expect(onRetry).toHaveBeenCalledWith(failed.cid);
  });
});
