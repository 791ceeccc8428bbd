import type { AuthResponse, ConversationSummary, UserInfo } from "@courier/protocol";
import { mapPool } from "./pool.ts";

/** A logged-in bench user: what a worker needs to open its socket. */
export interface BenchSession {
  token: string;
  user: UserInfo;
  deviceId: string;
}

/** One sender and one receiver sharing a direct conversation. */
export interface BenchPair {
  sender: BenchSession;
  receiver: BenchSession;
  conv: string;
}

const password = "bench-password-1";

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return JSON.parse(text) as T;
    } catch (err) {
      // Thousands of registrations at once can meet a transient refused connection; retry a few times.
      if (attempt >= 3 || String(err).includes("HTTP 4")) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** Registers `count` fresh users (a random run prefix keeps names unique on a reused server). */
export async function registerUsers(baseUrl: string, count: number): Promise<BenchSession[]> {
  const run = Math.random().toString(36).slice(2, 8);
  return mapPool(
    Array.from({ length: count }, (_, i) => i),
    32,
    async (i) => {
      const username = `b${run}_${i}`;
      const auth = await post<AuthResponse>(`${baseUrl}/api/register`, {
        username,
        password,
        deviceName: "bench",
      });
      return { token: auth.token, user: auth.user, deviceId: auth.device.id };
    },
  );
}

/** Registers 2×N users and creates each pair's direct conversation up front. */
export async function createPairs(baseUrl: string, pairs: number): Promise<BenchPair[]> {
  const users = await registerUsers(baseUrl, pairs * 2);
  return mapPool(
    Array.from({ length: pairs }, (_, i) => i),
    32,
    async (i) => {
      const sender = users[2 * i] as BenchSession;
      const receiver = users[2 * i + 1] as BenchSession;
      const conv = await post<ConversationSummary>(
        `${baseUrl}/api/conversations`,
        { with: receiver.user.id },
        sender.token,
      );
      return { sender, receiver, conv: conv.id };
    },
  );
}

/** The server's last seq of each conversation, as the sender sees it (the durable-store check). */
export async function lastSeqs(baseUrl: string, pairs: BenchPair[]): Promise<number[]> {
  return mapPool(pairs, 16, async (pair) => {
    const res = await fetch(`${baseUrl}/api/conversations`, {
      headers: { authorization: `Bearer ${pair.sender.token}` },
    });
    if (!res.ok) throw new Error(`GET /api/conversations: HTTP ${res.status}`);
    const list = (await res.json()) as ConversationSummary[];
    return list.find((c) => c.id === pair.conv)?.lastSeq ?? 0;
  });
}
