import type { DeviceInfo } from "@courier/protocol";
import { useCallback, useEffect, useState } from "react";
import { formatListTime } from "../lib/time.ts";
import { useController } from "../state/context.tsx";

/** The devices signed in to my account; any other one can be signed out from here. */
export function DevicesPanel() {
  const controller = useController();
  const [devices, setDevices] = useState<DeviceInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(() => {
    controller.client.devices().then(
      (list) => {
        setDevices(list);
        setError(undefined);
      },
      () => setError("Devices can only be listed while online."),
    );
  }, [controller]);

  useEffect(load, [load]);

  const revoke = async (device: DeviceInfo) => {
    try {
      await controller.client.revokeDevice(device.id);
      load();
    } catch {
      setError(`Could not sign out ${device.name}.`);
    }
  };

  return (
    <section className="panel" aria-label="Devices">
      <h2 className="panel-title">Your devices</h2>
      {error ? <p className="form-error">{error}</p> : null}
      <ul className="device-list">
        {(devices ?? []).map((device) => (
          <li key={device.id} className="device">
            <span className="device-names">
              <span className="device-name">{device.name}</span>
              <span className="device-meta">
                {device.current ? "This device" : `Active ${formatListTime(device.lastActiveAt)}`}
              </span>
            </span>
            {device.current ? null : (
              <button type="button" className="danger" onClick={() => revoke(device)}>
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <button
        type="button"
        className="danger wide"
        onClick={() => {
          controller.logout().catch(() => {});
        }}
      >
        Log out of this device
      </button>
    </section>
  );
}
