import { directConversationId } from "@courier/protocol";
import type { AppendResult, Store, StoredDevice, StoredUser } from "../../src/store/store.ts";

/** What a store factory hands the contract suite. */
export interface StoreUnderTest {
  store: Store;
  /** Removes the store's data. Called after the suite closed every store of the test. */
  cleanup(): Promise<void>;
  /** Opens another store over the same data (the suite closes the first one before). */
  reopen?(): Promise<Store>;
}

export type MakeStore = () => Promise<StoreUnderTest>;

export interface Fixture {
  store: Store;
  /** Closes the store and opens a new one over the same data; undefined if unsupported. */
  reopen: (() => Promise<Store>) | undefined;
}

/** Runs `fn` on a fresh store and always closes and cleans up after it. */
export async function withStore(make: MakeStore, fn: (f: Fixture) => Promise<void>): Promise<void> {
  const sut = await make();
  const opened: Store[] = [sut.store];
  const reopenFn = sut.reopen;
  const reopen =
    reopenFn === undefined
      ? undefined
      : async () => {
          for (const s of opened) await s.close();
          const next = await reopenFn();
          opened.push(next);
          return next;
        };
  try {
    await fn({ store: sut.store, reopen });
  } finally {
    for (const s of opened) await s.close();
    await sut.cleanup();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let tokens = 0;

export async function user(store: Store, username: string): Promise<StoredUser> {
  return store.createUser({ username, displayName: username.toUpperCase(), passwordHash: "h" });
}

export async function device(store: Store, userId: string, name = "phone"): Promise<StoredDevice> {
  tokens++;
  return store.createDevice({ userId, name, tokenHash: `token-${tokens}-${name}` });
}

/** A member of a conversation with one device, ready to send. */
export interface Party {
  user: StoredUser;
  device: StoredDevice;
}

export async function party(store: Store, username: string): Promise<Party> {
  const u = await user(store, username);
  return { user: u, device: await device(store, u.id) };
}

/** Two users with a device each and their direct conversation. */
export async function pair(store: Store, a = "alice", b = "bob") {
  const alice = await party(store, a);
  const bob = await party(store, b);
  const conv = directConversationId(alice.user.id, bob.user.id);
  await store.ensureDirectConversation(conv, alice.user.id, bob.user.id);
  return { alice, bob, conv };
}

export function send(
  store: Store,
  conv: string,
  from: Party,
  cid: string,
  text = cid,
  fromDevice = from.device,
): Promise<AppendResult> {
  return store.appendMessage({
    conversationId: conv,
    senderId: from.user.id,
    senderDeviceId: fromDevice.id,
    cid,
    content: { type: "text", text },
  });
}

export function seqs(messages: { seq: number }[]): number[] {
  return messages.map((m) => m.seq);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
