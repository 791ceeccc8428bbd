import type { GroupInfo } from "@courier/protocol";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type GroupActions, GroupInfoPanel } from "../src/components/GroupInfoPanel.tsx";
import { me } from "./fixtures.ts";

const group = (myRole: "admin" | "member"): GroupInfo => ({
  id: "g:trip",
  name: "Trip",
  createdAt: 0,
  members: [
    { id: me, username: "me", displayName: "Me", role: myRole, joinedSeq: 1 },
    {
      id: "u-ann",
      username: "ann",
      displayName: "Ann",
      role: myRole === "admin" ? "member" : "admin",
      joinedSeq: 1,
    },
    { id: "u-ben", username: "ben", displayName: "Ben", role: "member", joinedSeq: 1 },
  ],
});

function actions(): GroupActions {
  return {
    rename: vi.fn(async () => {}),
    add: vi.fn(async () => {}),
    remove: vi.fn(async () => {}),
    promote: vi.fn(async () => {}),
    leave: vi.fn(async () => {}),
    search: vi.fn(async () => [{ id: "u-cy", username: "cy", displayName: "Cy" }]),
  };
}

describe("<GroupInfoPanel>", () => {
  it("lets an admin remove, promote and add members", async () => {
    const user = userEvent.setup({ delay: null });
    const a = actions();
    render(<GroupInfoPanel group={group("admin")} me={me} member actions={a} onClose={() => {}} />);
    expect(screen.getByText("3 members")).toBeTruthy();
    expect(screen.getAllByText("Admin")).toHaveLength(1);
    await user.click(screen.getByRole("button", { name: "Remove Ben" }));
    expect(a.remove).toHaveBeenCalledWith("u-ben");
    await user.click(screen.getByRole("button", { name: "Make Ann admin" }));
    expect(a.promote).toHaveBeenCalledWith("u-ann");
    await user.click(screen.getByRole("button", { name: "Add members" }));
    await user.type(screen.getByPlaceholderText("Add people by username"), "c");
    await user.click(await screen.findByRole("button", { name: /@cy/ }));
    expect(a.add).toHaveBeenCalledWith(["u-cy"]);
  });

  it("shows a member the list and roles, but no admin actions", async () => {
    const user = userEvent.setup({ delay: null });
    const a = actions();
    render(
      <GroupInfoPanel group={group("member")} me={me} member actions={a} onClose={() => {}} />,
    );
    expect(screen.queryByRole("button", { name: /Remove/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /Make .* admin/ })).toBeNull();
    expect(screen.queryByRole("button", { name: "Add members" })).toBeNull();
    expect(screen.getByText("Admin").closest("li")?.textContent).toContain("Ann");
    // Any member can rename and leave.
    await user.click(screen.getByRole("button", { name: "Rename" }));
    const input = screen.getByLabelText("Group name");
    await user.clear(input);
    await user.type(input, "Holiday{Enter}");
    expect(a.rename).toHaveBeenCalledWith("Holiday");
    await user.click(screen.getByRole("button", { name: "Leave group" }));
    expect(a.leave).toHaveBeenCalled();
  });

  it("shows the server's refusal", async () => {
    const user = userEvent.setup({ delay: null });
    const a = actions();
    a.remove = vi.fn(async () => {
      throw new Error("only admins can do that");
    });
    render(<GroupInfoPanel group={group("admin")} me={me} member actions={a} onClose={() => {}} />);
    await user.click(screen.getByRole("button", { name: "Remove Ben" }));
    expect((await screen.findByRole("alert")).textContent).toBe("only admins can do that");
  });

  it("offers nothing to change once I am no longer a member", () => {
    render(
      <GroupInfoPanel
        group={group("admin")}
        me={me}
        member={false}
        actions={actions()}
        onClose={() => {}}
      />,
    );
    expect(screen.queryByRole("button", { name: "Leave group" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Remove/ })).toBeNull();
    expect(screen.getByText(/no longer a member/)).toBeTruthy();
  });
});
