import type { GroupInfo, UserInfo } from "@courier/protocol";
import { useMemo, useState } from "react";
import { UserPicker } from "./UserPicker.tsx";

export interface GroupActions {
  rename: (name: string) => Promise<void>;
  add: (users: string[]) => Promise<void>;
  remove: (user: string) => Promise<void>;
  promote: (user: string) => Promise<void>;
  leave: () => Promise<void>;
  search: (prefix: string) => Promise<UserInfo[]>;
}

interface Props {
  group: GroupInfo;
  me: string;
  /** False once I left or was removed: nothing can be changed any more. */
  member: boolean;
  actions: GroupActions;
  onClose: () => void;
}

/**
 * A group's name (renamed inline by any member), its members with their roles, and what I may do:
 * admins add, remove and promote; everyone can leave. Refusals show the server's message.
 */
export function GroupInfoPanel({ group, me, member, actions, onClose }: Props) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(group.name);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const admin = member && group.members.some((m) => m.id === me && m.role === "admin");
  const memberIds = useMemo(() => new Set(group.members.map((m) => m.id)), [group.members]);

  const run = (action: Promise<void>) => {
    setError(undefined);
    action.catch((e: unknown) => setError(e instanceof Error ? e.message : "That did not work."));
  };

  return (
    <section className="group-info" aria-label="Group info">
      <header className="group-info-header">
        <h3>Group info</h3>
        <button
          type="button"
          className="icon-button"
          aria-label="Close group info"
          onClick={onClose}
        >
          ✕
        </button>
      </header>
      {editing ? (
        <form
          className="group-rename"
          onSubmit={(e) => {
            e.preventDefault();
            const next = name.trim();
            if (next === "" || next === group.name) return setEditing(false);
            run(actions.rename(next).then(() => setEditing(false)));
          }}
        >
          <label>
            <span className="visually-hidden">Group name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
          </label>
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="group-name-row">
          <span className="group-name">{group.name}</span>
          {member ? (
            <button
              type="button"
              onClick={() => {
                setName(group.name);
                setEditing(true);
              }}
            >
              Rename
            </button>
          ) : null}
        </div>
      )}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {!member ? <p className="empty-hint">You're no longer a member of this group.</p> : null}
      <h4>{group.members.length} members</h4>
      <ul className="member-list" aria-label="Members">
        {group.members.map((m) => (
          <li key={m.id} className="member-row" data-user={m.id}>
            <span className="member-names">
              <span className="person-display">{m.id === me ? "You" : m.displayName}</span>{" "}
              <span className="person-username">@{m.username}</span>
            </span>
            {m.role === "admin" ? <span className="member-role">Admin</span> : null}
            {admin && m.id !== me ? (
              <span className="member-actions">
                {m.role !== "admin" ? (
                  <button
                    type="button"
                    aria-label={`Make ${m.displayName} admin`}
                    onClick={() => run(actions.promote(m.id))}
                  >
                    Make admin
                  </button>
                ) : null}
                <button
                  type="button"
                  aria-label={`Remove ${m.displayName}`}
                  onClick={() => run(actions.remove(m.id))}
                >
                  Remove
                </button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {admin ? (
        adding ? (
          <div className="group-add">
            <UserPicker
              search={actions.search}
              exclude={memberIds}
              onPick={(user) => run(actions.add([user.id]))}
            />
            <button type="button" onClick={() => setAdding(false)}>
              Done adding
            </button>
          </div>
        ) : (
          <button type="button" onClick={() => setAdding(true)}>
            Add members
          </button>
        )
      ) : null}
      {member ? (
        <button type="button" className="danger" onClick={() => run(actions.leave())}>
          Leave group
        </button>
      ) : null}
    </section>
  );
}
