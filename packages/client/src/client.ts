import type {
  AuthResponse,
  ClientContent as ContentValue,
  ConversationSummary,
  DeviceInfo,
  LoginBody,
  MessagePage,
  RegisterBody,
  UserInfo,
} from "@courier/protocol";
import { ClientContent, directConversationId, ErrorCode } from "@courier/protocol";
import type { BackoffOptions } from "./backoff.ts";
import { FrameBatcher } from "./batcher.ts";
import { ConnectionManager } from "./connection.ts";
import { Emitter } from "./emitter.ts";
import { timeOrderedId } from "./ids.ts";
import { Outbox } from "./outbox.ts";
import { Receiver } from "./receiver.ts";
import { type FetchLike, RestApi } from "./rest.ts";
import { defaultRetryPolicy, type RetryPolicy } from "./retry.ts";
import { nextTick, type Scheduler } from "./scheduler.ts";
import { Signals } from "./signals.ts";
import { defaultWebSocket, type WebSocketConstructor } from "./socket.ts";
import { MemoryStorage } from "./storage.memory.ts";
import type { ClientStorage, ConversationCursors } from "./storage.ts";
import {
  type ClientEvents,
  type ConnectionState,
  CourierError,
  type LocalMessage,
  type SendTarget,
  type Session,
} from "./types.ts";

export interface CourierClientOptions {
  /** The server's base URL, e.g. `http://localhost:8080`: REST under `/api`, socket at `/ws`. */
  url: string;
  /** The WebSocket URL, if not `url` with ws(s):// and `/ws`. */
  wsUrl?: string;
  /** Where the device keeps its data. Default: a new `MemoryStorage` (nothing survives a restart). */
  storage?: ClientStorage;
  /** Default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Runs a flush after the current tick. Default: a shared `setTimeout(0)` (see scheduler.ts). */
  scheduler?: Scheduler;
  /** What the outbox does after `unavailable`/`rate_limited`. Default `defaultRetryPolicy()`. */
  retryPolicy?: RetryPolicy;
  /** Reconnect backoff window: full jitter between 0 and min(maxMs, minMs * 2^attempt). */
  backoff?: BackoffOptions;
  /** App-level ping interval, ms. Default 20,000. */
  heartbeatIntervalMs?: number;
  /** Reconnect if no frame arrived for this long, ms. Default 45,000. */
  heartbeatTimeoutMs?: number;
  /** Reconnect if `ready` has not arrived this long after opening a socket, ms. Default 15,000. */
  authTimeoutMs?: number;
  /** Most unanswered sends per conversation. Default 32; 1 gives strict order even on errors. */
  sendWindow?: number;
  /** Least time between two `typing: true` frames for one conversation, ms. Default 3,000. */
  typingThrottleMs?: number;
  /** Client id generator. Default: time-ordered ids (timeOrderedId), which the server indexes cheaply. */
  newId?: () => string;
  /** How long a group's ack may wait (see ReceiverOptions.groupAckDelayMs), ms. Default 100. */
  groupAckDelayMs?: number;
}

/**
 * The SDK's entry point: one logged-in device. REST calls, the live connection (reconnecting by
 * itself), the outbox, the receive pipeline and a typed event emitter.
 *
 * Lifecycle: `restore()` (a stored session) or `register`/`login`, then `connect()`. `send`
 * works offline: messages wait in the persisted outbox. `logout()` forgets everything.
 */
export class CourierClient {
  readonly #o: CourierClientOptions;
  readonly #events = new Emitter<ClientEvents>();
  readonly #storage: ClientStorage;
  readonly #rest: RestApi;
  readonly #connection: ConnectionManager;
  readonly #batcher: FrameBatcher;
  readonly #signals: Signals;
  #session: Session | undefined;
  #engine: Promise<Engine> | undefined;
  /** The engine once booted: the socket callbacks need it synchronously. */
  #live: Engine | undefined;

  constructor(options: CourierClientOptions) {
    this.#o = options;
    this.#storage = options.storage ?? new MemoryStorage();
    // Bound: browsers throw "Illegal invocation" when fetch is called as another object's method.
    const fetchImpl =
      options.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (fetchImpl === undefined) throw new TypeError("no fetch: pass options.fetch");
    const WebSocketImpl = options.WebSocket ?? defaultWebSocket();
    if (WebSocketImpl === undefined) throw new TypeError("no WebSocket: pass options.WebSocket");
    this.#rest = new RestApi(options.url, fetchImpl, () => this.#session?.token);
    this.#connection = new ConnectionManager({
      url: options.wsUrl ?? toWsUrl(options.url),
      WebSocket: WebSocketImpl,
      token: () => this.#session?.token,
      // Frames only flow once the engine exists: connect() builds it before connecting.
      onFrames: (frames) => this.#live?.receiver.push(frames),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.heartbeatTimeoutMs === undefined
        ? {}
        : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
      ...(options.authTimeoutMs === undefined ? {} : { authTimeoutMs: options.authTimeoutMs }),
    });
    this.#batcher = new FrameBatcher(
      (data) => this.#connection.write(data),
      options.scheduler ?? nextTick,
    );
    this.#signals = new Signals(this.#batcher, options.typingThrottleMs ?? 3000);
    const conn = this.#connection.events;
    conn.on("state", (state) => this.#events.emit("state", state));
    conn.on("auth_failed", (failure) => this.#events.emit("auth_failed", failure));
    conn.on("closed", () => {
      this.#batcher.clear();
      this.#live?.outbox.connectionLost();
    });
    conn.on("ready", () => {
      this.#live?.outbox.pumpAll();
      this.#live?.receiver.reconnected();
      this.#signals.reconnected();
    });
  }

  // --- session ---------------------------------------------------------------------------

  /** The logged-in device, if any. */
  get session(): Session | undefined {
    return this.#session;
  }

  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** Loads a session kept by the storage adapter (app start). Resolves with it, if any. */
  async restore(): Promise<Session | undefined> {
    this.#session ??= await this.#storage.loadSession();
    return this.#session;
  }

  /** Creates an account and logs this device in. */
  async register(body: RegisterBody): Promise<AuthResponse> {
    return this.#adopt(await this.#rest.register(body));
  }

  /** Logs this device in. A different user than the stored one starts from empty storage. */
  async login(body: LoginBody): Promise<AuthResponse> {
    return this.#adopt(await this.#rest.login(body));
  }

  /** Revokes this device's token (best effort), disconnects and clears local storage. */
  async logout(): Promise<void> {
    this.disconnect();
    try {
      if (this.#session !== undefined) await this.#rest.logout();
    } finally {
      this.#session = undefined;
      this.#engine = undefined;
      this.#live = undefined;
      await this.#storage.clear();
    }
  }

  // --- connection --------------------------------------------------------------------------

  /**
   * Loads the outbox and cursors from storage (first call only) and starts connecting. Resolves
   * once connecting started; watch `state` / `synced` for progress. Rejects without a session.
   */
  async connect(): Promise<void> {
    await this.#engineReady();
    this.#connection.connect();
  }

  /** Closes the connection; no reconnect until `connect()`. The outbox keeps its messages. */
  disconnect(): void {
    this.#connection.disconnect();
  }

  /** Network hint from the host: `false` drops the socket now, `true` reconnects now. */
  setNetworkAvailable(available: boolean): void {
    this.#connection.setNetworkAvailable(available);
  }

  // --- messaging ---------------------------------------------------------------------------

  /**
   * Queues a message. Resolves with its `pending` snapshot once it is in the persisted outbox;
   * it is sent as soon as the connection allows, and every change arrives as a `status` event.
   * Rejects with `bad_frame` if the content is invalid, `not_logged_in` without a session.
   */
  async send(target: SendTarget, content: ContentValue): Promise<LocalMessage> {
    const engine = await this.#engineReady();
    const me = engine.me;
    const checked = ClientContent.safeParse(content);
    if (!checked.success) {
      throw new CourierError(ErrorCode.badFrame, checked.error.issues[0]?.message ?? "bad content");
    }
    const to = "to" in target ? target.to : undefined;
    const message: LocalMessage = {
      conv: to === undefined ? (target as { conv: string }).conv : directConversationId(me, to),
      cid: (this.#o.newId ?? timeOrderedId)(),
      from: me,
      ts: Date.now(),
      content,
      status: "pending",
      ...(to === undefined ? {} : { to }),
    };
    return engine.outbox.add(message);
  }

  /** Sends a failed message again (same cid). Resolves with its new `pending` snapshot. */
  async resend(cid: string): Promise<LocalMessage | undefined> {
    return (await this.#engineReady()).outbox.resend(cid);
  }

  /** Drops a failed message from the outbox. Resolves false if `cid` is not a failed message. */
  async discard(cid: string): Promise<boolean> {
    return (await this.#engineReady()).outbox.discard(cid);
  }

  /** My messages not yet stored by the server (pending and failed), per conversation if given. */
  async outbox(conv?: string): Promise<LocalMessage[]> {
    return (await this.#engineReady()).outbox.list(conv);
  }

  /**
   * A page of the local copy of a conversation, oldest first: the newest `limit` stored
   * messages below `before`; without `before`, my pending and failed messages follow them.
   */
  async messages(
    conv: string,
    query: { before?: number; limit?: number } = {},
  ): Promise<LocalMessage[]> {
    const engine = await this.#engineReady();
    const page = await this.#storage.listMessages(conv, {
      limit: query.limit ?? 50,
      ...(query.before === undefined ? {} : { beforeSeq: query.before }),
    });
    return query.before === undefined ? page.concat(engine.outbox.list(conv)) : page;
  }

  /** How far `conv` has come on this device (stored, read) and for the peer (delivered, read). */
  async cursors(conv: string): Promise<ConversationCursors> {
    return (await this.#engineReady()).receiver.cursors(conv);
  }

  /** Marks everything up to `seq` read: persisted now, sent coalesced (one frame per tick). */
  async markRead(conv: string, seq: number): Promise<void> {
    const engine = await this.#engineReady();
    if (engine.receiver.markRead(conv, seq)) this.#signals.read(conv, seq);
  }

  /** Typing indicator: `true` is sent at most once per throttle window, `false` at once. */
  setTyping(conv: string, on: boolean): void {
    this.#signals.typing(conv, on);
  }

  /** Asks the server for messages of `conv` after `after`; they arrive as `message` events. */
  pull(conv: string, after: number, limit?: number): void {
    this.#batcher.pushKeyed(`pull:${conv}`, {
      t: "pull",
      conv,
      after,
      ...(limit === undefined ? {} : { limit }),
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ClientEvents>(
    event: K,
    handler: (value: ClientEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, handler);
  }

  /** Resolves with the next value of `event` that passes `filter`. */
  once<K extends keyof ClientEvents>(
    event: K,
    filter?: (value: ClientEvents[K]) => boolean,
  ): Promise<ClientEvents[K]> {
    return this.#events.once(event, filter);
  }

  /** Resolves when every frame received so far has been processed and stored. */
  async idle(): Promise<void> {
    if (this.#engine !== undefined) await (await this.#engine).receiver.idle();
  }

  // --- REST --------------------------------------------------------------------------------

  me(): Promise<UserInfo> {
    return this.#guard(this.#rest.me());
  }
  async updateMe(body: { displayName: string }): Promise<UserInfo> {
    const user = await this.#guard(this.#rest.updateMe(body));
    if (this.#session !== undefined) {
      this.#session = { ...this.#session, user };
      await this.#storage.saveSession(this.#session);
    }
    return user;
  }
  devices(): Promise<DeviceInfo[]> {
    return this.#guard(this.#rest.devices());
  }
  revokeDevice(deviceId: string): Promise<void> {
    return this.#guard(this.#rest.revokeDevice(deviceId));
  }
  searchUsers(prefix: string): Promise<UserInfo[]> {
    return this.#guard(this.#rest.searchUsers(prefix));
  }
  /** The user with this username, or undefined. */
  findUser(username: string): Promise<UserInfo | undefined> {
    return this.#guard(this.#rest.findUser(username));
  }
  /** The conversation list from the server; also saved as the local cache. */
  async conversations(): Promise<ConversationSummary[]> {
    const list = await this.#guard(this.#rest.conversations());
    await this.#storage.saveConversations(list);
    return list;
  }
  /** The conversation list as last fetched (offline start). */
  cachedConversations(): Promise<ConversationSummary[]> {
    return this.#storage.loadConversations();
  }
  startConversation(userId: string): Promise<ConversationSummary> {
    return this.#guard(this.#rest.startConversation(userId));
  }
  /** Server-side history, oldest first: the newest `limit` messages below `before`. */
  history(conv: string, query: { before?: number; limit?: number } = {}): Promise<MessagePage> {
    return this.#guard(this.#rest.history(conv, query));
  }

  // --- internals ---------------------------------------------------------------------------

  async #adopt(auth: AuthResponse): Promise<AuthResponse> {
    const previous = this.#session ?? (await this.#storage.loadSession());
    if (previous !== undefined && previous.user.id !== auth.user.id) {
      this.disconnect();
      this.#engine = undefined;
      this.#live = undefined;
      await this.#storage.clear();
    }
    this.#session = { token: auth.token, user: auth.user, deviceId: auth.device.id };
    await this.#storage.saveSession(this.#session);
    return auth;
  }

  /** A 401 on a call with a session means the token is dead: same as a terminal close. */
  async #guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof CourierError && error.status === 401 && this.#session !== undefined) {
        this.#connection.disconnect();
        this.#events.emit("auth_failed", { code: 401, reason: error.message });
      }
      throw error;
    }
  }

  #engineReady(): Promise<Engine> {
    if (this.#engine !== undefined) return this.#engine;
    const session = this.#session;
    if (session === undefined) {
      return Promise.reject(new CourierError("not_logged_in", "no session: log in first"));
    }
    const engine = this.#boot(session);
    this.#engine = engine;
    // A failed boot (storage) may be retried by the next call.
    engine.catch(() => {
      if (this.#engine === engine) this.#engine = undefined;
    });
    return engine;
  }

  async #boot(session: Session): Promise<Engine> {
    const [pending, cursors] = await Promise.all([
      this.#storage.loadOutbox(),
      this.#storage.loadCursors(),
    ]);
    const storageError = (cause: unknown) =>
      this.#events.emit("error", new CourierError("storage", "storage write failed", { cause }));
    const outbox = new Outbox({
      write: (batch) => this.#storage.write(batch),
      transmit: (frame) => this.#batcher.push(frame),
      canSend: () => this.#connection.ready,
      onChange: (message) => this.#events.emit("status", message),
      onStorageError: storageError,
      retry: this.#o.retryPolicy ?? defaultRetryPolicy(),
      window: this.#o.sendWindow ?? 32,
    });
    outbox.restore(pending);
    const receiver = new Receiver({
      storage: this.#storage,
      outbox,
      batcher: this.#batcher,
      events: this.#events,
      me: session.user.id,
      restart: (reason) => this.#connection.restart(reason),
      ...(this.#o.groupAckDelayMs === undefined
        ? {}
        : { groupAckDelayMs: this.#o.groupAckDelayMs }),
    });
    receiver.restore(cursors);
    this.#live = { me: session.user.id, outbox, receiver };
    return this.#live;
  }
}

interface Engine {
  me: string;
  outbox: Outbox;
  receiver: Receiver;
}

function toWsUrl(url: string): string {
  return `${url.replace(/^http/, "ws").replace(/\/+$/, "")}/ws`;
}
