import type { ClientFrame } from "@courier/protocol";
import { Limits } from "@courier/protocol";
import type { Scheduler } from "./scheduler.ts";

/**
 * Collects the frames produced in one tick and writes them as one WebSocket message: the frame
 * itself when there is one, a JSON array when there are more. Keyed frames coalesce: a second
 * `ack` for the same conversation in the same tick replaces the first in place, which is how
 * "at most one ack (read, typing) per conversation per tick" holds.
 *
 * Messages never exceed `maxBytes` (the server's frame limit) nor `maxFrames` (the server takes
 * arrays of 1 to 256 frames): a large batch is split into several messages, in order. A single frame larger than the limit is still sent alone, and the
 * server answers it with `too_large`.
 */
export class FrameBatcher {
  readonly #write: (data: string) => boolean;
  readonly #schedule: Scheduler;
  readonly #maxBytes: number;
  readonly #maxFrames: number;
  #queue: ClientFrame[] = [];
  #keyed = new Map<string, number>();
  #scheduled = false;
  readonly #flush = () => this.flush();

  /**
   * `write` sends one WebSocket message and returns false if the socket cannot take it now; the
   * rest of that flush is then dropped (the owners of those frames resend after reconnecting).
   */
  constructor(
    write: (data: string) => boolean,
    schedule: Scheduler,
    limits: { maxBytes?: number; maxFrames?: number } = {},
  ) {
    this.#write = write;
    this.#schedule = schedule;
    this.#maxBytes = limits.maxBytes ?? Limits.maxFrameBytes;
    this.#maxFrames = limits.maxFrames ?? 256;
  }

  /** Number of frames waiting for the next flush. */
  get size(): number {
    return this.#queue.length;
  }

  push(frame: ClientFrame): void {
    this.#queue.push(frame);
    this.#arm();
  }

  /** Queues `frame`, or replaces the frame queued under the same key this tick (keeping its place). */
  pushKeyed(key: string, frame: ClientFrame): void {
    const index = this.#keyed.get(key);
    if (index !== undefined) {
      this.#queue[index] = frame;
      return;
    }
    this.#keyed.set(key, this.#queue.push(frame) - 1);
    this.#arm();
  }

  /** Forgets queued frames (the socket closed; their owners resend after reconnecting). */
  clear(): void {
    this.#queue = [];
    this.#keyed.clear();
  }

  /** Writes everything queued now. Normally called by the scheduler. */
  flush(): void {
    this.#scheduled = false;
    const frames = this.#queue;
    if (frames.length === 0) return;
    this.#queue = [];
    this.#keyed.clear();
    if (frames.length === 1) {
      this.#write(JSON.stringify(frames[0]));
      return;
    }
    // Serialise frame by frame so a batch can be cut at the size limit without a second pass.
    // A character is at most 3 UTF-8 bytes, so exact byte counting (`bytes`, -1 until needed)
    // starts only once the character count passes a third of the limit.
    let parts: string[] = [];
    let chars = 1;
    let bytes = -1;
    for (const frame of frames) {
      const json = JSON.stringify(frame);
      if (parts.length === this.#maxFrames) {
        if (!this.#send(parts)) return;
        parts = [];
        chars = 1;
        bytes = -1;
      } else if (parts.length > 0 && (chars + json.length + 1) * 3 > this.#maxBytes) {
        if (bytes < 0) bytes = 1 + parts.reduce((sum, part) => sum + stringBytes(part) + 1, 0);
        const size = stringBytes(json);
        if (bytes + size + 1 > this.#maxBytes) {
          if (!this.#send(parts)) return;
          parts = [];
          chars = 1;
          bytes = -1;
        } else bytes += size + 1;
      }
      parts.push(json);
      chars += json.length + 1;
    }
    this.#send(parts);
  }

  #send(parts: string[]): boolean {
    return this.#write(parts.length === 1 ? (parts[0] as string) : `[${parts.join(",")}]`);
  }

  #arm(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(this.#flush);
  }
}

function stringBytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
