import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PushPayload } from "@courier/protocol";
import {
  type BrowserKeys,
  browserKeys,
  decryptAes128gcm,
  type VapidClaims,
  verifyVapid,
} from "./webpush-crypto.ts";

export interface ReceivedPush {
  /** The subscription's name in the test. */
  name: string;
  at: number;
  payload: PushPayload;
  claims: VapidClaims;
  headers: IncomingMessage["headers"];
  /** The status the receiver answered. */
  status: number;
}

export interface Scripted {
  status: number;
  headers?: Record<string, string>;
}

/**
 * A stand-in push service (the role of FCM or Mozilla's autopush) on loopback: every POST to
 * `/push/<name>` is checked like a real service would (VAPID JWT signature, audience, expiry)
 * and decrypted with that subscription's private key. Answers 201, or what the test scripted
 * for the subscription (410 to prove cleanup, 429 + Retry-After to prove retry).
 */
export class WebPushReceiver {
  readonly pushes: ReceivedPush[] = [];
  /** Requests that failed verification or decryption: a passing test leaves this empty. */
  readonly errors: string[] = [];
  readonly #server: Server;
  readonly #keys = new Map<string, BrowserKeys>();
  readonly #script = new Map<string, Scripted[]>();
  readonly #waiters = new Set<() => void>();
  #serverKey = "";
  url = "";

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const answer = this.#handle(req, Buffer.concat(chunks));
        res.writeHead(answer.status, answer.headers ?? {}).end();
        this.#wake();
      });
    });
  }

  static async start(): Promise<WebPushReceiver> {
    const receiver = new WebPushReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, "127.0.0.1", resolve));
    receiver.url = `http://127.0.0.1:${(receiver.#server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** The VAPID public key the server published (GET /api/push/vapid-public-key). */
  expectServerKey(publicKey: string): void {
    this.#serverKey = publicKey;
  }

  /** A new browser subscription: the body to POST to /api/push/subscriptions. */
  subscription(name: string) {
    const keys = browserKeys();
    this.#keys.set(name, keys);
    return {
      endpoint: `${this.url}/push/${name}`,
      expirationTime: null,
      keys: { p256dh: keys.p256dh, auth: keys.auth },
    };
  }

  /** The next answers for this subscription, in order; afterwards 201 again. */
  script(name: string, ...answers: Scripted[]): void {
    this.#script.set(name, [...(this.#script.get(name) ?? []), ...answers]);
  }

  received(name: string): ReceivedPush[] {
    return this.pushes.filter((p) => p.name === name);
  }

  /** Waits until `count` pushes reached `name` (answered with any status). */
  async waitFor(name: string, count = 1, ms = 5000): Promise<ReceivedPush[]> {
    const deadline = Date.now() + ms;
    while (this.received(name).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${name}: ${this.received(name).length}/${count} pushes after ${ms} ms; errors: ${this.errors.join("; ")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received(name);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, body: Buffer): Scripted {
    const name = /^\/push\/([^/?]+)$/.exec(req.url ?? "")?.[1] ?? "";
    const keys = this.#keys.get(name);
    if (req.method !== "POST" || !keys) return { status: 404 };
    try {
      const claims = verifyVapid(req.headers.authorization ?? "", this.#serverKey);
      if (claims.aud !== this.url) throw new Error(`aud ${claims.aud} is not ${this.url}`);
      const now = Date.now() / 1000;
      if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error("bad exp");
      if (req.headers["content-encoding"] !== "aes128gcm") throw new Error("not aes128gcm");
      if (!req.headers.ttl) throw new Error("no TTL header");
      const payload = JSON.parse(decryptAes128gcm(body, keys).toString("utf8")) as PushPayload;
      const answer = this.#script.get(name)?.shift() ?? { status: 201 };
      this.pushes.push({
        name,
        at: Date.now(),
        payload,
        claims,
        headers: req.headers,
        status: answer.status,
      });
      return answer;
    } catch (err) {
      this.errors.push(`${name}: ${(err as Error).message}`);
      return { status: 403 };
    }
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
