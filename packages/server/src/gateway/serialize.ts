import type { ServerFrame } from "@courier/protocol";

/**
 * The JSON of a frame, computed once per frame object. Routing hands the same object to every
 * connection a message goes to, so a message to a 1,000-member group is stringified once, not a
 * thousand times.
 */
const serialized = new WeakMap<ServerFrame, string>();

export function serialize(frame: ServerFrame): string {
  let json = serialized.get(frame);
  if (json === undefined) {
    json = JSON.stringify(frame);
    serialized.set(frame, json);
  }
  return json;
}

/** One WebSocket message for a connection's queue: a frame, or an array of frames. */
export function serializeBatch(frames: ServerFrame[]): string {
  if (frames.length === 1) return serialize(frames[0] as ServerFrame);
  let out = "[";
  for (let i = 0; i < frames.length; i++) {
    if (i > 0) out += ",";
    out += serialize(frames[i] as ServerFrame);
  }
  return `${out}]`;
}
