/**
 * The part of the standard WebSocket API the SDK uses. `globalThis.WebSocket` (browsers, React
 * Native, Node >= 22) fits it; tests pass a fake. Only text messages are used.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket (the same constant in every implementation). */
export const OPEN = 1;

/** The host's WebSocket, if it has one. */
export function defaultWebSocket(): WebSocketConstructor | undefined {
  // The DOM typing of WebSocket's handlers takes DOM event types; the SDK only reads `data`,
  // `code` and `reason`, which every implementation provides, so the structural cast is sound.
  return (globalThis as { WebSocket?: unknown }).WebSocket as WebSocketConstructor | undefined;
}
