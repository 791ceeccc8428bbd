import type { Logger } from "pino";
import { isRetryableStatus, parseRetryAfter } from "./retry.ts";
import type { PushJob, PushSender, SendOutcome } from "./sender.ts";

export interface ExpoSenderOptions {
  /** Base URL of Expo's push API: `${baseUrl}/send`, `${baseUrl}/getReceipts`. */
  baseUrl: string;
  accessToken?: string | undefined;
  /** Expo asks to read receipts after the platform had time to answer (15 minutes). */
  receiptDelayMs?: number;
  /** Tickets kept waiting for their receipt; beyond this the oldest are forgotten. */
  maxPendingReceipts?: number;
  /** A token the platform says is dead: drop its subscription. */
  onDeadToken: (token: string) => void;
  log: Logger;
  timeoutMs?: number;
}

/** Expo's limits: 100 messages per send request, 1000 ids per receipts request. */
const SEND_CHUNK = 100;
const RECEIPT_CHUNK = 1000;

interface Ticket {
  status: "ok" | "error";
  id?: string;
  message?: string;
  details?: { error?: string };
}

/**
 * Expo's push service for the native app. Jobs that became ready together go out as one request
 * per 100. A ticket only says Expo accepted the message; whether Apple or Google took it shows in
 * the receipt, read later in batches, and a `DeviceNotRegistered` there (or in a ticket) drops
 * the token.
 */
export class ExpoSender implements PushSender {
  readonly #o: Required<Omit<ExpoSenderOptions, "accessToken">> & { accessToken?: string };
  /** ticket id → token, in insertion order (oldest first), waiting for the receipt round. */
  readonly #pending = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #abort = new AbortController();

  constructor(options: ExpoSenderOptions) {
    this.#o = {
      receiptDelayMs: 15 * 60_000,
      maxPendingReceipts: 50_000,
      timeoutMs: 10_000,
      ...options,
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    };
  }

  async send(jobs: PushJob[], signal: AbortSignal): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < jobs.length; i += SEND_CHUNK) {
      outcomes.push(...(await this.#sendChunk(jobs.slice(i, i + SEND_CHUNK), signal)));
    }
    return outcomes;
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#abort.abort();
    this.#pending.clear();
  }

  async #sendChunk(jobs: PushJob[], signal: AbortSignal): Promise<SendOutcome[]> {
    const all = (outcome: SendOutcome) => jobs.map(() => outcome);
    let response: Response;
    try {
      response = await this.#post("/send", jobs.map(toExpoMessage), signal);
    } catch (err) {
      return all({ kind: "retry", reason: `network: ${(err as Error).message}` });
    }
    if (!response.ok) {
      await response.body?.cancel();
      if (isRetryableStatus(response.status)) {
        const afterMs = parseRetryAfter(response.headers.get("retry-after"));
        const reason = `status ${response.status}`;
        return all({ kind: "retry", reason, ...(afterMs === undefined ? {} : { afterMs }) });
      }
      return all({ kind: "failed", reason: `status ${response.status}` });
    }
    const body = (await response.json().catch(() => ({}))) as { data?: Ticket[] };
    const tickets = Array.isArray(body.data) ? body.data : [];
    return jobs.map((job, i) => this.#outcomeOf(job, tickets[i]));
  }

  #outcomeOf(job: PushJob, ticket: Ticket | undefined): SendOutcome {
    if (!ticket) return { kind: "failed", reason: "no ticket" };
    if (ticket.status === "ok") {
      if (ticket.id) this.#awaitReceipt(ticket.id, job.subscription.address);
      return { kind: "ok" };
    }
    const error = ticket.details?.error;
    if (error === "DeviceNotRegistered") return { kind: "gone" };
    if (error === "MessageRateExceeded") return { kind: "retry", reason: error };
    return { kind: "failed", reason: error ?? ticket.message ?? "error ticket" };
  }

  #awaitReceipt(ticketId: string, token: string): void {
    this.#pending.set(ticketId, token);
    if (this.#pending.size > this.#o.maxPendingReceipts) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#readReceipts().catch((err: unknown) =>
        this.#o.log.warn({ err }, "reading Expo receipts failed"),
      );
    }, this.#o.receiptDelayMs);
    this.#timer.unref();
  }

  /** One round: every ticket collected since the last round, 1000 per request. */
  async #readReceipts(): Promise<void> {
    const due = [...this.#pending];
    this.#pending.clear();
    for (let i = 0; i < due.length; i += RECEIPT_CHUNK) {
      const chunk = due.slice(i, i + RECEIPT_CHUNK);
      const response = await this.#post(
        "/getReceipts",
        { ids: chunk.map(([id]) => id) },
        this.#abort.signal,
      );
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`getReceipts answered ${response.status}`);
      }
      const body = (await response.json()) as { data?: Record<string, Ticket> };
      for (const [id, token] of chunk) {
        if (body.data?.[id]?.details?.error === "DeviceNotRegistered") this.#o.onDeadToken(token);
      }
    }
  }

  #post(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/json",
    };
    if (this.#o.accessToken) headers.authorization = `Bearer ${this.#o.accessToken}`;
    return fetch(`${this.#o.baseUrl}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.#o.timeoutMs)]),
    });
  }
}

/**
 * Expo's message format. Unlike Web Push, Expo, Apple and Google see this in the clear, so at the
 * content-free level even the conversation id (which names both users of a direct chat) stays out.
 */
function toExpoMessage(job: PushJob) {
  const { payload } = job;
  const data =
    job.privacy === "none"
      ? { v: payload.v, count: payload.count }
      : { v: payload.v, conv: payload.conv, seq: payload.seq, count: payload.count };
  return {
    to: job.subscription.address,
    title: payload.title,
    body: payload.body,
    data,
    sound: "default",
    priority: "high",
    // Same as Web Push: a wake-up a day late is noise.
    ttl: 24 * 3600,
  };
}
