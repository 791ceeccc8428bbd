import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ExpoMessage {
  to: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/**
 * A stand-in for Expo's push API on loopback: `POST /send` (an array of up to 100 messages,
 * answered with one ticket each) and `POST /getReceipts`. Tokens marked dead get an ok ticket
 * and a `DeviceNotRegistered` receipt, as when an app was uninstalled; tokens marked dead-now
 * get it straight in the ticket.
 */
export class ExpoReceiver {
  /** Each /send request's messages: one entry per batch. */
  readonly batches: ExpoMessage[][] = [];
  readonly receiptRequests: string[][] = [];
  readonly #deadInReceipt = new Set<string>();
  readonly #deadInTicket = new Set<string>();
  readonly #tickets = new Map<string, string>();
  readonly #server: Server;
  #nextTicket = 0;
  url = "";

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString() || "null") as unknown;
        const answer = req.url === "/send" ? this.#send(body) : this.#receipts(body);
        res.writeHead(answer ? 200 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify(answer ?? { errors: [{ code: "NOT_FOUND" }] }));
      });
    });
  }

  static async start(): Promise<ExpoReceiver> {
    const receiver = new ExpoReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, "127.0.0.1", resolve));
    receiver.url = `http://127.0.0.1:${(receiver.#server.address() as AddressInfo).port}`;
    return receiver;
  }

  get messages(): ExpoMessage[] {
    return this.batches.flat();
  }

  markDeadInReceipt(token: string): void {
    this.#deadInReceipt.add(token);
  }

  markDeadInTicket(token: string): void {
    this.#deadInTicket.add(token);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #send(body: unknown) {
    const messages = (Array.isArray(body) ? body : [body]) as ExpoMessage[];
    if (messages.length > 100) return { errors: [{ code: "PUSH_TOO_MANY_NOTIFICATIONS" }] };
    this.batches.push(messages);
    return {
      data: messages.map((m) => {
        if (this.#deadInTicket.has(m.to)) {
          return {
            status: "error",
            message: `"${m.to}" is not a registered push notification recipient`,
            details: { error: "DeviceNotRegistered" },
          };
        }
        const id = `ticket-${++this.#nextTicket}`;
        this.#tickets.set(id, m.to);
        return { status: "ok", id };
      }),
    };
  }

  #receipts(body: unknown) {
    const ids = (body as { ids?: string[] } | null)?.ids ?? [];
    this.receiptRequests.push(ids);
    const data: Record<string, unknown> = {};
    for (const id of ids) {
      const token = this.#tickets.get(id);
      if (token === undefined) continue;
      data[id] = this.#deadInReceipt.has(token)
        ? { status: "error", message: "gone", details: { error: "DeviceNotRegistered" } }
        : { status: "ok" };
    }
    return { data };
  }
}
