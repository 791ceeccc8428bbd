import type { UserInfo } from "@courier/protocol";
import { useUserSearch } from "../lib/use-user-search.ts";

interface Props {
  /** Finds users by username prefix (the server's user search). */
  search: (prefix: string) => Promise<UserInfo[]>;
  /** Users not offered (me, current members, those already picked). */
  exclude: ReadonlySet<string>;
  onPick: (user: UserInfo) => void;
  label?: string;
}

/** A username search whose results can be picked one by one (group creation, adding members). */
export function UserPicker({ search, exclude, onPick, label = "Add people by username" }: Props) {
  const { query, setQuery, results, error } = useUserSearch(search);

  const shown = results.filter((u) => !exclude.has(u.id));
  return (
    <div className="user-picker">
      <label className="search">
        <span className="visually-hidden">{label}</span>
        <input
          type="search"
          placeholder={label}
          autoCapitalize="none"
          spellCheck={false}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      {error ? <p className="form-error">{error}</p> : null}
      <ul className="picker-results">
        {shown.map((user) => (
          <li key={user.id}>
            <button type="button" className="picker-result" onClick={() => onPick(user)}>
              <span className="person-display">{user.displayName}</span>{" "}
              <span className="person-username">@{user.username}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
