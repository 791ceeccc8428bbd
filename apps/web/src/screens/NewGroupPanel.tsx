import type { UserInfo } from "@courier/protocol";
import { useCallback, useMemo, useState } from "react";
import { UserPicker } from "../components/UserPicker.tsx";
import { useAppState, useController } from "../state/context.tsx";

/** Create a group: a name and members picked through the username search; opens the new chat. */
export function NewGroupPanel({ onCancel }: { onCancel: () => void }) {
  const controller = useController();
  const me = useAppState((s) => s.me?.id ?? "");
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<UserInfo[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const exclude = useMemo(() => new Set([me, ...picked.map((u) => u.id)]), [me, picked]);
  const search = useCallback(
    (prefix: string) => controller.client.searchUsers(prefix),
    [controller],
  );

  return (
    <form
      className="panel new-group"
      aria-label="New group"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() === "") return setError("Give the group a name.");
        setBusy(true);
        setError(undefined);
        controller
          .createGroup(
            name.trim(),
            picked.map((u) => u.id),
          )
          .catch((err: unknown) => {
            setError(err instanceof Error ? err.message : "Could not create the group.");
            setBusy(false);
          });
      }}
    >
      <label className="field">
        <span>Group name</span>
        <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      </label>
      <UserPicker search={search} exclude={exclude} onPick={(u) => setPicked([...picked, u])} />
      {picked.length > 0 ? (
        <ul className="picked" aria-label="Picked members">
          {picked.map((u) => (
            <li key={u.id}>
              {u.displayName}
              <button
                type="button"
                className="icon-button"
                aria-label={`Unpick ${u.displayName}`}
                onClick={() => setPicked(picked.filter((p) => p.id !== u.id))}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-buttons">
        <button type="submit" disabled={busy}>
          Create group
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
