import type { SystemContent } from "@courier/protocol";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { MessageList } from "../src/components/MessageList.tsx";
import { SystemLine } from "../src/components/SystemLine.tsx";
import { me, message } from "./fixtures.ts";

const names: Record<string, string> = { "u-ann": "Ann", "u-ben": "Ben", "u-cy": "Cy" };
const name = (id: string) => names[id] ?? "Someone";
const line = (content: SystemContent) => {
  const { container } = render(
    <ul>
      <SystemLine content={content} me={me} name={name} />
    </ul>,
  );
  return container.querySelector(".system-line")?.textContent;
};

describe("<SystemLine>", () => {
  it("says who did what, with the reader as You", () => {
    expect(line({ type: "system", event: "added", actor: "u-ann", users: ["u-ben", "u-cy"] })).toBe(
      "Ann added Ben and Cy",
    );
    expect(line({ type: "system", event: "removed", actor: "u-ann", users: [me] })).toBe(
      "You were removed by Ann",
    );
    expect(line({ type: "system", event: "renamed", actor: me, name: "Trip" })).toBe(
      'You renamed the group to "Trip"',
    );
    expect(line({ type: "system", event: "left", actor: "u-ben", users: ["u-ben"] })).toBe(
      "Ben left",
    );
    expect(line({ type: "system", event: "promoted", actor: "u-ann", users: [me] })).toBe(
      "Ann made you an admin",
    );
    expect(line({ type: "system", event: "created", actor: "u-ann", name: "Trip" })).toBe(
      'Ann created the group "Trip"',
    );
  });

  it("names the listed users of a bulk change and counts the rest", () => {
    expect(
      line({
        type: "system",
        event: "added",
        actor: "u-ann",
        users: ["u-ben", "u-cy"],
        count: 1000,
      }),
    ).toBe("Ann added Ben, Cy and 998 others");
    expect(
      line({ type: "system", event: "added", actor: me, users: ["u-ben", "u-cy"], count: 3 }),
    ).toBe("You added Ben, Cy and 1 other");
  });

  it("renders a group name with markup as text, never HTML", () => {
    const { container } = render(
      <ul>
        <SystemLine
          content={{
            type: "system",
            event: "renamed",
            actor: "u-ann",
            name: "<img src=x onerror=alert(1)>",
          }}
          me={me}
          name={name}
        />
      </ul>,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByText(/renamed the group to/).textContent).toContain("<img src=x");
  });

  it("shows centred lines between group bubbles, with senders' names on others' bubbles", () => {
    const conv = "g:trip";
    const { container } = render(
      <MessageList
        me={me}
        peer={{ delivered: 0, read: 0 }}
        olderAvailable={false}
        loadingOlder={false}
        onLoadOlder={() => {}}
        onRetry={() => {}}
        group={{ name, onInfo: () => {} }}
        messages={[
          message({
            conv,
            from: "u-ann",
            status: "received",
            content: { type: "system", event: "created", actor: "u-ann", name: "Trip" },
          }),
          message({ conv, from: "u-ben", status: "received" }),
          message({ conv }),
        ]}
      />,
    );
    expect(container.querySelectorAll(".system-line")).toHaveLength(1);
    expect(container.querySelector(".bubble-theirs .bubble-sender")?.textContent).toBe("Ben");
    expect(container.querySelector(".bubble-mine .bubble-sender")).toBeNull();
    expect(screen.getByRole("button", { name: "Message info" })).toBeTruthy();
  });
});
