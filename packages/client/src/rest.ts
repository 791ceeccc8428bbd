import type {
  AuthResponse,
  ConversationSummary,
  DeviceInfo,
  LoginBody,
  MessagePage,
  RegisterBody,
  UserInfo,
} from "@courier/protocol";
import { CourierError } from "./types.ts";

/** The subset of `fetch` the SDK uses, so hosts can pass any compatible implementation. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; ok: boolean; text(): Promise<string> }>;

/**
 * Typed calls to the REST API under `/api`. Every method resolves with the decoded body or
 * rejects with a `CourierError`: the server's `ErrorBody` code and the HTTP status, or `network`
 * (status 0) when no answer came. Stateless apart from the token getter.
 */
export class RestApi {
  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #token: () => string | undefined;

  constructor(baseUrl: string, fetchImpl: FetchLike, token: () => string | undefined) {
    this.#base = `${baseUrl.replace(/\/+$/, "")}/api`;
    this.#fetch = fetchImpl;
    this.#token = token;
  }

  register(body: RegisterBody): Promise<AuthResponse> {
    return this.#call("POST", "/register", body, false);
  }
  login(body: LoginBody): Promise<AuthResponse> {
    return this.#call("POST", "/login", body, false);
  }
  logout(): Promise<void> {
    return this.#call("POST", "/logout");
  }
  me(): Promise<UserInfo> {
    return this.#call("GET", "/me");
  }
  updateMe(body: { displayName: string }): Promise<UserInfo> {
    return this.#call("PATCH", "/me", body);
  }
  devices(): Promise<DeviceInfo[]> {
    return this.#call("GET", "/devices");
  }
  revokeDevice(deviceId: string): Promise<void> {
    return this.#call("DELETE", `/devices/${encodeURIComponent(deviceId)}`);
  }
  searchUsers(prefix: string): Promise<UserInfo[]> {
    return this.#call("GET", `/users?prefix=${encodeURIComponent(prefix)}`);
  }
  /** The user with this username, or undefined if there is none (404). */
  async findUser(username: string): Promise<UserInfo | undefined> {
    try {
      return await this.#call<UserInfo>("GET", `/users/by-name/${encodeURIComponent(username)}`);
    } catch (error) {
      if (error instanceof CourierError && error.status === 404) return undefined;
      throw error;
    }
  }
  conversations(): Promise<ConversationSummary[]> {
    return this.#call("GET", "/conversations");
  }
  startConversation(userId: string): Promise<ConversationSummary> {
    return this.#call("POST", "/conversations", { with: userId });
  }
  /** A page of server-side history, oldest first: the newest `limit` messages below `before`. */
  history(conv: string, query: { before?: number; limit?: number } = {}): Promise<MessagePage> {
    const params: string[] = [];
    if (query.before !== undefined) params.push(`before=${query.before}`);
    if (query.limit !== undefined) params.push(`limit=${query.limit}`);
    const qs = params.length > 0 ? `?${params.join("&")}` : "";
    return this.#call("GET", `/conversations/${encodeURIComponent(conv)}/messages${qs}`);
  }

  async #call<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth) {
      const token = this.#token();
      if (token === undefined) throw new CourierError("not_logged_in", "no session: log in first");
      headers.authorization = `Bearer ${token}`;
    }
    const init =
      body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) };
    let response: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      response = await this.#fetch(this.#base + path, init);
      text = await response.text();
    } catch (cause) {
      throw new CourierError("network", `${method} ${path}: no answer`, { status: 0, cause });
    }
    const value = text === "" ? undefined : parseJson(text);
    if (!response.ok) {
      const err = value as { code?: unknown; message?: unknown } | undefined;
      const code = typeof err?.code === "string" ? err.code : "bad_response";
      const message = typeof err?.message === "string" ? err.message : `HTTP ${response.status}`;
      throw new CourierError(code as CourierError["code"], message, { status: response.status });
    }
    return value as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
