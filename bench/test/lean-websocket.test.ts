import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WebSocketLike } from "@courier/client";
import { leanWebSocket } from "../src/lean-websocket.ts";
import { echoServer } from "./support/echo-server.ts";

/** Resolves with the first call of the handler `name` of `socket`. */
function next<K extends "onopen" | "onmessage" | "onclose" | "onerror">(
  socket: WebSocketLike,
  name: K,
): Promise<Parameters<NonNullable<WebSocketLike[K]>>[0]> {
  return new Promise((resolve) => {
    socket[name] = resolve as WebSocketLike[K];
  });
}

/** The standard WebSocket API the SDK uses, on a LeanSocket, against the `ws` server. */
describe("leanWebSocket", () => {
  const LeanWebSocket = leanWebSocket("127.0.0.1");
  const server = echoServer((text) => `echo ${text}`);

  it("goes from connecting to open to closing to closed, with the handlers the SDK sets", async () => {
    const socket = new LeanWebSocket(server.url);
    assert.equal(socket.readyState, 0);
    await next(socket, "onopen");
    assert.equal(socket.readyState, 1);
    const message = next(socket, "onmessage");
    socket.send("hello");
    assert.deepEqual(await message, { data: "echo hello" });
    const closed = next(socket, "onclose");
    socket.close(1000, "bye");
    assert.equal(socket.readyState, 2);
    assert.deepEqual(await closed, { code: 1000, reason: "" });
    assert.equal(socket.readyState, 3);
  });

  it("reports a close the server starts, with its code", async () => {
    server.wss.once("connection", (ws) => ws.close(4001, "go away"));
    const socket = new LeanWebSocket(server.url);
    const closed = await next(socket, "onclose");
    assert.equal(closed.code, 4001);
    assert.equal(socket.readyState, 3);
  });

  it("reports a refused connection as an error, then a close with 1006", async () => {
    const socket = new LeanWebSocket("ws://127.0.0.1:1/ws");
    const error = next(socket, "onerror");
    const closed = next(socket, "onclose");
    await error;
    assert.equal((await closed).code, 1006);
    assert.equal(socket.readyState, 3);
  });

  it("closing before the connection opened ends it without an exception", async () => {
    const socket = new LeanWebSocket(server.url);
    const closed = next(socket, "onclose");
    socket.close(1000);
    assert.equal((await closed).code, 1006);
    assert.equal(socket.readyState, 3);
  });
});
