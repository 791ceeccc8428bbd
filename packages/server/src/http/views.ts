import type { DeviceInfo, UserInfo } from "@courier/protocol";
import type { StoredDevice, StoredUser } from "../store/store.ts";

/** Public views of stored rows: never the password hash or token hash. */
export function userInfo(user: StoredUser): UserInfo {
  return { id: user.id, username: user.username, displayName: user.displayName };
}

export function deviceInfo(device: StoredDevice, currentDeviceId: string): DeviceInfo {
  return {
    id: device.id,
    name: device.name,
    createdAt: device.createdAt,
    lastActiveAt: device.lastActiveAt,
    current: device.id === currentDeviceId,
  };
}
