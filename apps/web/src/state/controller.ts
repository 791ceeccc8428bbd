import type { CourierClient, LocalMessage } from "@courier/client";
import type { GroupInfo, MessageReceiptInfo, UserInfo } from "@courier/protocol";
import { GroupApiError, GroupsApi } from "../groups/api.ts";
import { deviceName } from "../lib/device-name.ts";
import { endsMyMembership } from "../lib/system-text.ts";
import {
  applyGroupReceipt,
  applyMessage,
  applyPresence,
  applyReceipt,
  emptyThread,
  fromServerMessage,
  markChatRead,
  mergeSummaries,
  renameChat,
  upsertMessages,
} from "./chats.ts";
import type { Store } from "./store.ts";
import { type AppState, type GroupState, initialState, type Panel } from "./types.ts";

const pageSize = 50;
/** A typing indicator with no refresh for this long is stale (its `off` frame may be lost). */
const typingTtlMs = 6000;

/**
 * Everything the screens can ask for, and the wiring from SDK events into the store. The SDK owns
 * the protocol (outbox, acks, reconnects, storage); this class only shapes what it reports into
 * what the screens show.
 */
export class AppController {
  readonly store: Store<AppState>;
  readonly client: CourierClient;
  readonly groupsApi: GroupsApi;
  /** Whether the page is being looked at: only then does an open chat count as read. */
  readonly #visible: () => boolean;
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #groupTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #unbind: Array<() => void> = [];

  constructor(store: Store<AppState>, client: CourierClient, visible: () => boolean) {
    this.store = store;
    this.client = client;
    this.groupsApi = new GroupsApi(() => client.session?.token);
    this.#visible = visible;
  }

  get #me(): string {
    return this.store.get().me?.id ?? "";
  }

  // --- session -----------------------------------------------------------------------------

  /** App start: a stored session opens straight into the cached chats, with or without network. */
  async boot(): Promise<void> {
    const session = await this.client.restore();
    if (session === undefined) {
      this.store.set({ phase: "signed-out" });
      return;
    }
    await this.#enter(session.user);
  }

  async register(username: string, password: string, displayName: string): Promise<void> {
    const auth = await this.client.register({
      username,
      password,
      deviceName: deviceName(),
      ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
    });
    await this.#enter(auth.user);
  }

  async login(username: string, password: string): Promise<void> {
    const auth = await this.client.login({ username, password, deviceName: deviceName() });
    await this.#enter(auth.user);
  }

  async logout(): Promise<void> {
    this.#stop();
    try {
      await this.client.logout();
    } finally {
      this.store.set({ ...initialState, phase: "signed-out" });
    }
  }

  /** Signs in the UI: cached list first (works offline), then connect and refresh. */
  async #enter(me: UserInfo): Promise<void> {
    this.#stop();
    this.store.set({
      ...initialState,
      phase: "signed-in",
      me,
      networkUp: this.store.get().networkUp,
    });
    this.#bind();
    const cached = await this.client.cachedConversations();
    let chats = mergeSummaries([], cached, me.id);
    // The cache may predate messages stored since: the newest local message wins.
    for (const chat of chats) {
      const [last] = (await this.client.messages(chat.id, { limit: 1 })).slice(-1);
      if (last !== undefined) chats = applyMessage(chats, last, me.id, true);
    }
    this.store.set({ chats });
    await this.client.connect();
    this.#refreshPending();
  }

  #bind(): void {
    const c = this.client;
    this.#unbind = [
      c.on("state", (connection) => this.store.set({ connection })),
      c.on("synced", () => {
        this.refreshConversations();
        this.#markActiveRead();
      }),
      c.on("message", (m) => this.#onMessage(m)),
      c.on("status", (m) => this.#onMessage(m)),
      c.on("receipt", (r) =>
        this.store.set((s) => ({ chats: applyReceipt(s.chats, r, this.#me) })),
      ),
      c.on("group_receipt", (r) =>
        this.store.set((s) => ({ chats: applyGroupReceipt(s.chats, r) })),
      ),
      c.on("presence", (p) =>
        this.store.set((s) => ({ chats: applyPresence(s.chats, p.user, p.online, p.lastSeen) })),
      ),
      c.on("typing", (t) => this.#onTyping(t.conv, t.user, t.on)),
      c.on("auth_failed", () => {
        this.logout().catch(() => {});
      }),
    ];
  }

  #stop(): void {
    for (const off of this.#unbind) off();
    this.#unbind = [];
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#typingTimers.clear();
    for (const timer of this.#groupTimers.values()) clearTimeout(timer);
    this.#groupTimers.clear();
  }

  // --- network and visibility --------------------------------------------------------------

  setNetwork(up: boolean): void {
    this.store.set({ networkUp: up });
    this.client.setNetworkAvailable(up);
  }

  /** The page became visible again: the open chat's new messages are now seen. */
  visibilityChanged(): void {
    this.#markActiveRead();
  }

  // --- conversations -------------------------------------------------------------------------

  refreshConversations(): void {
    this.client.conversations().then(
      (list) => this.store.set((s) => ({ chats: mergeSummaries(s.chats, list, this.#me) })),
      () => {}, // Offline or a blip: the cached list stays; the next `synced` tries again.
    );
  }

  showPanel(panel: Panel): void {
    this.store.set({ panel });
  }

  async startChat(user: UserInfo): Promise<void> {
    const summary = await this.client.startConversation(user.id);
    this.store.set((s) => ({
      chats: mergeSummaries(s.chats, [summary], this.#me),
      panel: "chats",
    }));
    await this.openChat(summary.id);
  }

  async openChat(conv: string | undefined): Promise<void> {
    this.store.set({ active: conv });
    if (conv === undefined) return;
    if (isGroup(conv) && this.store.get().groups[conv]?.info === undefined) {
      this.loadGroup(conv).catch(() => {});
    }
    if (this.store.get().threads[conv] === undefined) {
      const messages = await this.client.messages(conv, { limit: pageSize });
      const first = messages.find((m) => m.seq !== undefined)?.seq;
      const lastSeq = this.store.get().chats.find((c) => c.id === conv)?.last?.seq ?? 0;
      const olderAvailable = first !== undefined ? first > 1 : lastSeq > 0;
      this.#setThread(conv, upsertMessages({ ...emptyThread, olderAvailable }, messages));
    }
    this.#markActiveRead();
  }

  /** Scroll-back: older messages from this device's storage, else from the server's history. */
  async loadOlder(conv: string): Promise<void> {
    const thread = this.store.get().threads[conv];
    if (thread === undefined || thread.loadingOlder || !thread.olderAvailable) return;
    this.#setThread(conv, { ...thread, loadingOlder: true });
    const before = thread.messages.find((m) => m.seq !== undefined)?.seq ?? Number.MAX_SAFE_INTEGER;
    let older: LocalMessage[] = [];
    let more = false;
    try {
      older = await this.client.messages(conv, { before, limit: pageSize });
      more = (older[0]?.seq ?? 1) > 1;
      if (older.length === 0) {
        const page = await this.client.history(conv, { before, limit: pageSize });
        older = page.messages.map((m) => fromServerMessage(m, this.#me));
        more = page.more;
      }
    } catch {
      more = true; // Offline with nothing local left: try again when scrolled up later.
    }
    const current = this.store.get().threads[conv] ?? thread;
    this.#setThread(conv, {
      ...upsertMessages(current, older),
      olderAvailable: more,
      loadingOlder: false,
    });
  }

  async send(conv: string, text: string): Promise<void> {
    const message = await this.client.send({ conv }, { type: "text", text });
    this.#onMessage(message);
    this.#refreshPending();
  }

  async retry(cid: string): Promise<void> {
    const message = await this.client.resend(cid);
    if (message !== undefined) this.#onMessage(message);
  }

  setTyping(conv: string, on: boolean): void {
    this.client.setTyping(conv, on);
  }

  // --- groups ----------------------------------------------------------------------------------

  /** Creates a group with me as admin, puts it in the list and opens it. */
  async createGroup(name: string, members: string[]): Promise<void> {
    const info = await this.groupsApi.create(name, members);
    this.#setGroup(info.id, { info, member: true });
    const list = await this.client.conversations();
    this.store.set((s) => ({
      chats: renameChat(mergeSummaries(s.chats, list, this.#me), info.id, info.name),
      panel: "chats",
    }));
    await this.openChat(info.id);
  }

  /** Fetches a group's info; a refusal because I am not in it marks the chat read-only. */
  async loadGroup(conv: string): Promise<void> {
    try {
      this.#groupChanged(await this.groupsApi.get(conv));
    } catch (error) {
      if (error instanceof GroupApiError && (error.code === "not_member" || error.status === 403)) {
        this.#setGroup(conv, { info: this.store.get().groups[conv]?.info, member: false });
        return;
      }
      throw error;
    }
  }

  async renameGroup(conv: string, name: string): Promise<void> {
    this.#groupChanged(await this.groupsApi.rename(conv, name));
  }
  async addMembers(conv: string, users: string[]): Promise<void> {
    this.#groupChanged(await this.groupsApi.addMembers(conv, users));
  }
  async removeMember(conv: string, user: string): Promise<void> {
    this.#groupChanged(await this.groupsApi.removeMember(conv, user));
  }
  async makeAdmin(conv: string, user: string): Promise<void> {
    this.#groupChanged(await this.groupsApi.makeAdmin(conv, user));
  }
  async leaveGroup(conv: string): Promise<void> {
    await this.groupsApi.leave(conv);
    this.#setGroup(conv, { info: this.store.get().groups[conv]?.info, member: false });
  }
  messageInfo(conv: string, seq: number): Promise<MessageReceiptInfo> {
    return this.groupsApi.messageInfo(conv, seq);
  }

  #groupChanged(info: GroupInfo): void {
    const member = info.members.some((m) => m.id === this.#me);
    this.#setGroup(info.id, { info, member });
    this.store.set((s) => {
      const names = { ...s.names };
      for (const m of info.members) names[m.id] = m.displayName;
      return { chats: renameChat(s.chats, info.id, info.name), names };
    });
  }

  #setGroup(conv: string, group: GroupState): void {
    this.store.set((s) => ({ groups: { ...s.groups, [conv]: group } }));
  }

  /** A system message: the group changed, so its info (and the list's title) are refreshed. */
  #onSystem(m: LocalMessage): void {
    if (m.content.type !== "system") return;
    if (endsMyMembership(m.content, this.#me)) {
      this.#setGroup(m.conv, { info: this.store.get().groups[m.conv]?.info, member: false });
      return;
    }
    if (m.content.event === "renamed") this.refreshConversations();
    // A catch-up can bring many changes at once: one fetch for a burst.
    clearTimeout(this.#groupTimers.get(m.conv));
    this.#groupTimers.set(
      m.conv,
      setTimeout(() => {
        this.#groupTimers.delete(m.conv);
        this.loadGroup(m.conv).catch(() => {});
      }, 150),
    );
  }

  // --- event handling --------------------------------------------------------------------------

  #onMessage(m: LocalMessage): void {
    const seen = this.#isSeen(m.conv);
    // A group this list has not heard of (I was just added): fetch its title.
    if (isGroup(m.conv) && !this.store.get().chats.some((c) => c.id === m.conv)) {
      this.refreshConversations();
    }
    if (m.content.type === "system") this.#onSystem(m);
    this.store.set((s) => {
      const thread = s.threads[m.conv];
      return {
        chats: applyMessage(s.chats, m, this.#me, seen),
        threads: thread ? { ...s.threads, [m.conv]: upsertMessages(thread, [m]) } : s.threads,
      };
    });
    if (m.from !== this.#me) {
      this.#onTyping(m.conv, m.from, false);
      if (seen && m.seq !== undefined) this.#markRead(m.conv, m.seq);
    } else if (m.status !== "pending") {
      this.#refreshPending();
    }
  }

  #onTyping(conv: string, user: string, on: boolean): void {
    const key = `${conv} ${user}`;
    clearTimeout(this.#typingTimers.get(key));
    this.#typingTimers.delete(key);
    if (on)
      this.#typingTimers.set(
        key,
        setTimeout(() => this.#onTyping(conv, user, false), typingTtlMs),
      );
    this.store.set((s) => {
      const others = (s.typing[conv] ?? []).filter((u) => u !== user);
      const list = on ? [...others, user] : others;
      if (list.length === (s.typing[conv]?.length ?? 0) && !on) return {};
      return { typing: { ...s.typing, [conv]: list } };
    });
  }

  #isSeen(conv: string): boolean {
    return this.store.get().active === conv && this.#visible();
  }

  #markActiveRead(): void {
    const { active, threads } = this.store.get();
    if (active === undefined || !this.#visible()) return;
    const messages = threads[active]?.messages ?? [];
    let top = 0;
    for (const m of messages) if (m.seq !== undefined && m.seq > top) top = m.seq;
    if (top > 0) this.#markRead(active, top);
  }

  #markRead(conv: string, seq: number): void {
    this.store.set((s) => ({ chats: markChatRead(s.chats, conv, seq) }));
    this.client.markRead(conv, seq).catch(() => {});
  }

  #refreshPending(): void {
    this.client.outbox().then(
      (list) => this.store.set({ pending: list.filter((m) => m.status === "pending").length }),
      () => {},
    );
  }

  #setThread(conv: string, thread: AppState["threads"][string]): void {
    this.store.set((s) => ({ threads: { ...s.threads, [conv]: thread } }));
  }
}

function isGroup(conv: string): boolean {
  return conv.startsWith("g:");
}
