import type { MessageReceiptInfo } from "@courier/protocol";
import { formatClock } from "../lib/time.ts";

interface Props {
  info: MessageReceiptInfo | undefined;
  error: string | undefined;
  name: (id: string) => string;
  onClose: () => void;
}

const when = (ts: number | null) =>
  ts === null ? "—" : `${new Date(ts).toLocaleDateString()} ${formatClock(ts)}`;

/** One of my group messages: per member, when it was delivered and when it was read. */
export function MessageInfoPanel({ info, error, name, onClose }: Props) {
  return (
    <section className="message-info" aria-label="Message info">
      <header className="group-info-header">
        <h3>Message info</h3>
        <button
          type="button"
          className="icon-button"
          aria-label="Close message info"
          onClick={onClose}
        >
          ✕
        </button>
      </header>
      {error ? <p className="form-error">{error}</p> : null}
      {info === undefined && error === undefined ? <p className="empty-hint">Loading…</p> : null}
      {info ? (
        <table className="receipt-table">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Delivered</th>
              <th scope="col">Read</th>
            </tr>
          </thead>
          <tbody>
            {info.members.map((m) => (
              <tr key={m.user} data-user={m.user}>
                <th scope="row">{name(m.user)}</th>
                <td>{when(m.deliveredAt)}</td>
                <td>{when(m.readAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
