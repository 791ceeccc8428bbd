import { type ErrorBody, ErrorCode } from "@courier/protocol";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import type { z } from "zod";
import { isUnavailable } from "../delivery/errors.ts";

/** An error with an HTTP status and a stable code; anything else thrown becomes `internal`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Validates a body against its schema, or throws a 400 naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join(".") || "body";
  throw new HttpError(400, ErrorCode.badRequest, `${where}: ${issue?.message ?? "invalid"}`);
}

export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    let status = 500;
    let body: ErrorBody = { code: ErrorCode.internal, message: "internal error" };
    if (err instanceof HttpError) {
      status = err.status;
      body = { code: err.code, message: err.message };
    } else if (isUnavailable(err)) {
      status = 503;
      body = { code: ErrorCode.unavailable, message: "storage is unavailable, retry later" };
    } else if (isBodyParserError(err)) {
      status = err.status;
      body =
        err.type === "entity.too.large"
          ? { code: ErrorCode.tooLarge, message: "request body too large" }
          : { code: ErrorCode.badRequest, message: "request body is not valid JSON" };
    } else {
      log.error({ err }, "request failed");
    }
    res.status(status).json(body);
  };
}

function isBodyParserError(err: unknown): err is { status: number; type: string } {
  return typeof err === "object" && err !== null && "type" in err && "status" in err;
}
