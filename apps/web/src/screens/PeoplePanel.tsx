import type { UserInfo } from "@courier/protocol";
import { useEffect, useState } from "react";
import { Avatar } from "../components/Avatar.tsx";
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
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<UserInfo[]>([]);
  const [error, setError] = useState<string | undefined>();

  // Search as you type, debounced; a stale answer never overwrites a newer one.
  useEffect(() => {
    const prefix = query.trim().toLowerCase();
    if (prefix === "") {
      setResults([]);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      controller.client.searchUsers(prefix).then(
        (users) => {
          if (!current) return;
          setResults(users.filter((u) => u.id !== me));
          setError(undefined);
        },
        () => current && setError("Search needs a connection."),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, controller, me]);

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
                controller.startChat(user).catch(() => setError("Could not start the chat."));
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
