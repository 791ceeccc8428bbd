import type { GroupInfo, MessageReceiptInfo } from "@courier/protocol";

/** A refused group call: the server's `{code, message}` (forbidden, not_member, limit_reached…). */
export class GroupApiError extends Error {
  override name = "GroupApiError";
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * The group endpoints (and message info), called with this device's token. The SDK has no group
 * REST methods yet; when it gets them this file goes, as `push/api.ts` will.
 */
export class GroupsApi {
  readonly #token: () => string | undefined;

  constructor(token: () => string | undefined) {
    this.#token = token;
  }

  create(name: string, members: string[]): Promise<GroupInfo> {
    return this.#call("POST", "/api/groups", { name, members });
  }
  get(id: string): Promise<GroupInfo> {
    return this.#call("GET", `/api/groups/${enc(id)}`);
  }
  rename(id: string, name: string): Promise<GroupInfo> {
    return this.#call("PATCH", `/api/groups/${enc(id)}`, { name });
  }
  addMembers(id: string, users: string[]): Promise<GroupInfo> {
    return this.#call("POST", `/api/groups/${enc(id)}/members`, { users });
  }
  removeMember(id: string, user: string): Promise<GroupInfo> {
    return this.#call("DELETE", `/api/groups/${enc(id)}/members/${enc(user)}`);
  }
  makeAdmin(id: string, user: string): Promise<GroupInfo> {
    return this.#call("POST", `/api/groups/${enc(id)}/admins`, { user });
  }
  leave(id: string): Promise<unknown> {
    return this.#call("POST", `/api/groups/${enc(id)}/leave`);
  }
  messageInfo(conv: string, seq: number): Promise<MessageReceiptInfo> {
    return this.#call("GET", `/api/conversations/${enc(conv)}/messages/${seq}/info`);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.#token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new GroupApiError("network", "No connection.", 0);
    }
    if (!res.ok) {
      const error = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new GroupApiError(
        error.code ?? "internal",
        error.message ?? `${method} ${path}: ${res.status}`,
        res.status,
      );
    }
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}

const enc = encodeURIComponent;
