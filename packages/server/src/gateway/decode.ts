import { type ClientFrame, ErrorCode, parseClientFrame } from "@courier/protocol";

/** Most frames one WebSocket message may carry as an array. */
export const maxFramesPerMessage = 256;

export type Decoded =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; ref?: string };

/**
 * Turns one WebSocket message into validated frames. Every failure becomes a value with a stable
 * code, never an exception: the caller answers it with an error frame and carries on.
 */
export function decodeMessage(data: Buffer, isBinary: boolean, maxBytes: number): Decoded[] {
  if (isBinary) {
    return [{ ok: false, code: ErrorCode.badFrame, message: "binary messages are not accepted" }];
  }
  if (data.byteLength > maxBytes) {
    return [
      {
        ok: false,
        code: ErrorCode.tooLarge,
        message: `message of ${data.byteLength} bytes exceeds the ${maxBytes}-byte limit`,
      },
    ];
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch {
    return [{ ok: false, code: ErrorCode.badJson, message: "message is not valid JSON" }];
  }
  if (!Array.isArray(value)) return [parseClientFrame(value)];
  if (value.length === 0 || value.length > maxFramesPerMessage) {
    return [
      {
        ok: false,
        code: ErrorCode.badFrame,
        message: `a frame array must hold 1 to ${maxFramesPerMessage} frames`,
      },
    ];
  }
  return value.map(parseClientFrame);
}
