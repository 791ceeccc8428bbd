import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Ticks } from "../src/components/Ticks.tsx";
import { tickOf } from "../src/lib/ticks.ts";
import { message } from "./fixtures.ts";

describe("tickOf", () => {
  const peer = { delivered: 0, read: 0 };

  it("shows a clock while the message waits in the outbox", () => {
    expect(tickOf(message({ status: "pending", seq: undefined }), peer)).toBe("pending");
  });

  it("goes one tick → two ticks → blue as the peer's cursors pass the message", () => {
    const m = message({ seq: 5, status: "sent" });
    expect(tickOf(m, { delivered: 4, read: 0 })).toBe("sent");
    expect(tickOf(m, { delivered: 5, read: 0 })).toBe("delivered");
    expect(tickOf(m, { delivered: 9, read: 5 })).toBe("read");
  });

  it("trusts the SDK's status when it is further than the cursors in hand", () => {
    expect(tickOf(message({ status: "delivered" }), peer)).toBe("delivered");
    expect(tickOf(message({ status: "read" }), peer)).toBe("read");
  });

  it("shows failed messages as failed whatever the cursors say", () => {
    const m = message({ status: "failed", seq: undefined, error: "not_member" });
    expect(tickOf(m, { delivered: 99, read: 99 })).toBe("failed");
  });
});

describe("<Ticks>", () => {
  it.each([
    ["pending", "Sending"],
    ["sent", "Sent"],
    ["delivered", "Delivered"],
    ["read", "Read"],
    ["failed", "Not sent"],
  ] as const)("labels %s as %s for screen readers", (tick, label) => {
    render(<Ticks tick={tick} />);
    const icon = screen.getByRole("img", { name: label });
    expect(icon.dataset.tick).toBe(tick);
  });

  it("colours read ticks differently from delivered ones", () => {
    const { container } = render(
      <>
        <Ticks tick="delivered" />
        <Ticks tick="read" />
      </>,
    );
    const [delivered, read] = container.querySelectorAll(".ticks");
    expect(delivered?.className).not.toContain("ticks-read");
    expect(read?.className).toContain("ticks-read");
  });
});
