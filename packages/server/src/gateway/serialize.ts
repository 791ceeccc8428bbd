import type { ServerFrame } from "@courier/protocol";
import { textFrame } from "./ws-frame.ts";

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

/**
 * The WebSocket frame for a connection's queue. A queue of one frame is the common case of a
 * fan-out (the same `msg` object queued for every member): its bytes are built once per frame
 * object and written to every socket as they are.
 */
const framed = new WeakMap<ServerFrame, Buffer>();

export function frameBatch(frames: ServerFrame[]): Buffer {
  if (frames.length > 1) return textFrame(serializeBatch(frames));
  const frame = frames[0] as ServerFrame;
  let bytes = framed.get(frame);
  if (bytes === undefined) {
    bytes = textFrame(serialize(frame));
    framed.set(frame, bytes);
  }
  return bytes;
}
