import { ErrorCode, type ErrorFrame } from "@courier/protocol";
import { BusUnavailableError } from "../routing/bus.ts";
import { StoreUnavailableError } from "../store/store.ts";

/** Backend failures a client should retry, rather than bugs. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof StoreUnavailableError || err instanceof BusUnavailableError;
}

export function errorFrame(code: ErrorCode, message: string, ref?: string): ErrorFrame {
  return ref === undefined ? { t: "error", code, message } : { t: "error", code, message, ref };
}

/** The error frame for an exception thrown while handling a frame: never leaks internals. */
export function errorFrameFor(err: unknown, ref?: string): ErrorFrame {
  if (isUnavailable(err)) {
    return errorFrame(ErrorCode.unavailable, "storage is unavailable, retry later", ref);
  }
  return errorFrame(ErrorCode.internal, "internal error", ref);
}
