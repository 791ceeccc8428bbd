/** Initials on a colour derived from the user id, so each contact is recognisable at a glance. */
export function Avatar({ id, name, online }: { id: string; name: string; online?: boolean }) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() ?? "")
    .join("");
  return (
    <span className="avatar" style={{ background: `hsl(${hue(id)} 45% 42%)` }} aria-hidden="true">
      {initials || "?"}
      {online ? <span className="avatar-online" /> : null}
    </span>
  );
}

function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}
