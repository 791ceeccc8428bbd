import type { AuthResponse } from "@courier/protocol";

let counter = 0;

/** A fresh username per call, unique within the test process. */
export function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}${process.pid}_${counter}`;
}

/** Registers a user over the real REST API. */
export async function register(baseUrl: string, username = uniqueName()): Promise<AuthResponse> {
  const res = await fetch(`${baseUrl}/api/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "correct horse battery", deviceName: "test" }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as AuthResponse;
}

/** Logs an existing user in again: a second device. */
export async function login(baseUrl: string, username: string): Promise<AuthResponse> {
  const res = await fetch(`${baseUrl}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "correct horse battery", deviceName: "second" }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as AuthResponse;
}

/** A REST call with the device's bearer token; returns status and parsed body. */
export async function api(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
