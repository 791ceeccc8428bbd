import type { UserInfo } from "@courier/protocol";
import { useEffect, useState } from "react";

/**
 * Username search as you type: debounced by 200 ms, and a stale answer never overwrites a newer
 * one. `search` should be stable (or memoised): a new function restarts the search.
 */
export function useUserSearch(search: (prefix: string) => Promise<UserInfo[]>) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<UserInfo[]>([]);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const prefix = query.trim().toLowerCase();
    if (prefix === "") {
      setResults([]);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      search(prefix).then(
        (users) => {
          if (!current) return;
          setResults(users);
          setError(undefined);
        },
        () => current && setError("Search needs a connection."),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, search]);

  return { query, setQuery, results, error };
}
