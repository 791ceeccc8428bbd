import type { PrivacyLevel, PushSettings } from "@courier/protocol";
import { useEffect, useMemo, useState } from "react";
import { PushApi } from "../push/api.ts";
import { disablePush, enablePush, pushSupported } from "../push/browser-push.ts";
import { useController } from "../state/context.tsx";

const levels: Array<{ value: PrivacyLevel; label: string }> = [
  { value: "full", label: "Sender and message" },
  { value: "sender", label: "Sender only" },
  { value: "none", label: "Nothing (“New message”)" },
];

/**
 * Notifications for this device: a switch that asks the browser's permission and subscribes, and
 * how much a notification may show (for all my devices). Notifications only come while this
 * device is not connected: an open app gets the messages directly.
 */
export function NotificationSettings() {
  const controller = useController();
  const api = useMemo(() => new PushApi(() => controller.client.session?.token), [controller]);
  const [settings, setSettings] = useState<PushSettings | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const supported = pushSupported();

  useEffect(() => {
    api.settings().then(setSettings, () => setError("Notification settings need a connection."));
  }, [api]);

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setSettings(await api.settings());
    } catch (e) {
      setError(e instanceof Error ? e.message : "That did not work.");
    } finally {
      setBusy(false);
    }
  };

  const enabled = settings?.subscription === "web";
  return (
    <section className="panel" aria-label="Notifications">
      <h2 className="panel-title">Notifications</h2>
      {error ? <p className="form-error notification-error">{error}</p> : null}
      {supported ? null : (
        <p className="notification-note">This browser cannot show notifications.</p>
      )}
      <label className="notification-row">
        <span>Notify me on this device</span>
        <input
          type="checkbox"
          checked={enabled}
          disabled={!supported || busy || settings === undefined}
          onChange={() => run(() => (enabled ? disablePush(api) : enablePush(api)))}
        />
      </label>
      <label className="notification-row">
        <span>Show in notifications</span>
        <select
          value={settings?.privacy ?? "full"}
          disabled={busy || settings === undefined}
          onChange={(e) => run(() => api.setPrivacy(e.target.value as PrivacyLevel))}
        >
          {levels.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
    </section>
  );
}
