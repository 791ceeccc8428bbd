import type { SystemContent } from "@courier/protocol";

/**
 * The info line a group's system message shows ("Ann added Ben", "You were removed"). `name`
 * resolves a user id to a display name; the reader is "You". Plain text: the caller renders it
 * as a text node.
 */
export function systemText(
  content: SystemContent,
  me: string,
  name: (id: string) => string,
): string {
  const who = (id: string) => (id === me ? "You" : name(id));
  const actor = who(content.actor);
  const users = content.users ?? [];
  const others = Math.max(0, (content.count ?? users.length) - users.length);
  const list = joinNames(
    users.map((u) => (u === me ? "you" : name(u))),
    others,
  );
  switch (content.event) {
    case "created":
      return `${actor} created the group${content.name ? ` "${content.name}"` : ""}`;
    case "added":
      return `${actor} added ${list}`;
    case "removed":
      if (users.length === 1 && users[0] === me)
        return `You were removed by ${name(content.actor)}`;
      return `${actor} removed ${list}`;
    case "left":
      return `${actor} left`;
    case "renamed":
      return `${actor} renamed the group to "${content.name ?? ""}"`;
    case "promoted":
      return users.length === 1 && users[0] === me
        ? `${actor} made you an admin`
        : `${actor} made ${list} ${users.length > 1 ? "admins" : "an admin"}`;
  }
}

/** "Ann", "Ann and Ben", "Ann, Ben and Cid", or with `others` unnamed: "Ann, Ben and 998 others". */
function joinNames(names: string[], others = 0): string {
  if (others > 0) {
    const rest = `${others} ${others === 1 ? "other" : "others"}`;
    return names.length === 0 ? rest : `${names.join(", ")} and ${rest}`;
  }
  if (names.length <= 1) return names[0] ?? "someone";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** Whether this system message ends my membership (removed, or I left). */
export function endsMyMembership(content: SystemContent, me: string): boolean {
  if (content.event === "left") return content.actor === me;
  if (content.event === "removed") return (content.users ?? []).includes(me);
  return false;
}
