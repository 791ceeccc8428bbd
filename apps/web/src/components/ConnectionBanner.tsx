import type { ConnectionState } from "@courier/client";

interface Props {
  connection: ConnectionState;
  networkUp: boolean;
  /** Messages waiting in the outbox. */
  pending: number;
}

/**
 * Tells the person why messages are not moving: no network at all, or a connection being
 * (re)established. Hidden once the connection is online.
 */
export function ConnectionBanner({ connection, networkUp, pending }: Props) {
  if (connection === "online") return null;
  const waiting =
    pending > 0
      ? ` ${pending} message${pending === 1 ? "" : "s"} will be sent when you're back.`
      : "";
  if (!networkUp) {
    return (
      <div className="banner banner-offline" role="status" data-banner="offline">
        You're offline.{waiting}
      </div>
    );
  }
  const label = connection === "syncing" ? "Catching up…" : "Reconnecting…";
  return (
    <div className="banner banner-reconnecting" role="status" data-banner="reconnecting">
      {label}
      {waiting}
    </div>
  );
}
