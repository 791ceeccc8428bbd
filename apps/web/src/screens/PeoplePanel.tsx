import { useCallback, useState } from "react";
import { Avatar } from "../components/Avatar.tsx";
import { useUserSearch } from "../lib/use-user-search.ts";
import { useAppState, useController } from "../state/context.tsx";
import { NewGroupPanel } from "./NewGroupPanel.tsx";

/** Find people by username and start a conversation with one, or create a group. */
export function PeoplePanel() {
  const [newGroup, setNewGroup] = useState(false);
  return newGroup ? (
    <NewGroupPanel onCancel={() => setNewGroup(false)} />
  ) : (
    <FindPeople onNewGroup={() => setNewGroup(true)} />
  );
}

function FindPeople({ onNewGroup }: { onNewGroup: () => void }) {
  const controller = useController();
  const me = useAppState((s) => s.me?.id);
  const search = useCallback(
    async (prefix: string) =>
      (await controller.client.searchUsers(prefix)).filter((u) => u.id !== me),
    [controller, me],
  );
  const { query, setQuery, results, error: searchError } = useUserSearch(search);
  const [startError, setStartError] = useState<string | undefined>();
  const error = searchError ?? startError;

  return (
    <section className="panel" aria-label="Find people">
      <button type="button" className="new-group-button" onClick={onNewGroup}>
        New group
      </button>
      <label className="search">
        <span className="visually-hidden">Search by username</span>
        <input
          type="search"
          placeholder="Search by username"
          autoCapitalize="none"
          spellCheck={false}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      {error ? <p className="form-error">{error}</p> : null}
      <ul className="people-list">
        {results.map((user) => (
          <li key={user.id}>
            <button
              type="button"
              className="person"
              onClick={() => {
                setStartError(undefined);
                controller.startChat(user).catch(() => setStartError("Could not start the chat."));
              }}
            >
              <Avatar id={user.id} name={user.displayName} />
              <span className="person-names">
                <span className="person-display">{user.displayName}</span>
                <span className="person-username">@{user.username}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {query.trim() !== "" && results.length === 0 && error === undefined ? (
        <p className="empty-hint">Nobody found with that username yet.</p>
      ) : null}
    </section>
  );
}
