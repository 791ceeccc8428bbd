import type { ServerFrame } from "@courier/protocol";
import { textFrame } from "./ws-frame.ts";

/*
 * A frame's JSON and its WebSocket bytes are computed once per frame object and kept on the
 * object itself, under symbol keys that JSON.stringify skips. Routing hands the same object to
 * every connection a message goes to, so a message to a 1,000-member group is stringified and
 * framed once, not a thousand times.
 *
 * Why not a WeakMap: every frame the server sends became an ephemeron in it, thousands a
 * second. Ephemerons are marked in the final, stop-the-world phase of a major GC, and with this
 * many V8 falls back to its linear ephemeron algorithm: 94 of a 113 ms pause at 2,000 msgs/s,
 * the open-loop p99. A property dies with its frame and costs the collector nothing extra.
 */
const json = Symbol("courier.json");
const bytes = Symbol("courier.bytes");

interface Prepared {
  [json]?: string;
  [bytes]?: Buffer;
}

/** Sets a hidden (non-enumerable) cache property: deep-equality checks and spreads ignore it. */
function keep<K extends typeof json | typeof bytes>(
  frame: ServerFrame,
  key: K,
  value: Prepared[K],
): void {
  Object.defineProperty(frame, key, { value });
}

export function serialize(frame: ServerFrame): string {
  let text = (frame as Prepared)[json];
  if (text === undefined) {
    text = JSON.stringify(frame);
    keep(frame, json, text);
  }
  return text;
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
export function frameBatch(frames: ServerFrame[]): Buffer {
  if (frames.length > 1) return textFrame(serializeBatch(frames));
  const frame = frames[0] as ServerFrame;
  let framed = (frame as Prepared)[bytes];
  if (framed === undefined) {
    framed = textFrame(serialize(frame));
    keep(frame, bytes, framed);
  }
  return framed;
}
