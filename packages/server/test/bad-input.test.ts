import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloseCode, ErrorCode, type ServerFrame } from "@courier/protocol";
import { api, register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { RawSocket } from "./support/raw-socket.ts";

const isError = (code: string) => (f: ServerFrame) => f.t === "error" && f.code === code;

describe("bad input over the WebSocket", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier({
      COURIER_AUTH_TIMEOUT_MS: "300",
      COURIER_RATE_LIMIT: "50",
      COURIER_RATE_BURST: "100",
    });
  });
  after(() => courier.stop());

  async function pair() {
    const a = await register(courier.url);
    const b = await register(courier.url);
    return { a, b, sa: await RawSocket.authed(courier.url, a.token) };
  }

  /** Proves the connection still works after an error: a ping is answered. */
  async function stillUsable(socket: RawSocket) {
    socket.sendJson({ t: "ping", n: 7 });
    await socket.waitFor((f) => f.t === "pong" && f.n === 7);
  }

  it("answers malformed JSON with bad_json and keeps the connection", async () => {
    const { sa } = await pair();
    sa.sendRaw("{not json");
    await sa.waitFor(isError(ErrorCode.badJson));
    await stillUsable(sa);
    sa.close();
  });

  it("answers an unknown frame type with unknown_type", async () => {
    const { sa } = await pair();
    sa.sendJson({ t: "teleport", to: "mars" });
    await sa.waitFor(isError(ErrorCode.unknownType));
    await stillUsable(sa);
    sa.close();
  });

  it("answers wrong field types with bad_frame naming the client id, and stores nothing", async () => {
    const { a, b, sa } = await pair();
    sa.sendJson({ t: "send", cid: "c1", to: b.user.id, content: { type: "text", text: 42 } });
    const error = await sa.waitFor(isError(ErrorCode.badFrame));
    assert.equal(error.t === "error" && error.ref, "c1");
    sa.sendJson({ t: "send", cid: "c2", content: { type: "text", text: "neither conv nor to" } });
    sa.sendJson({ t: "ack", conv: "x", seq: -1 });
    sa.sendJson([{ t: "ping" }, "not an object"]);
    await sa.waitFor((f) => f.t === "error" && f.ref === "c2");
    await stillUsable(sa);
    assert.equal(sa.errors().filter((e) => e.code === ErrorCode.badFrame).length, 4);
    assert.deepEqual(await courier.store.conversationsOf(a.user.id), []);
    sa.close();
  });

  it("answers a frame over the size limit with too_large, and closes on the transport limit", async () => {
    const { b, sa } = await pair();
    sa.sendText({ cid: "big", to: b.user.id, text: "x".repeat(70_000) });
    await sa.waitFor(isError(ErrorCode.tooLarge));
    await stillUsable(sa);
    sa.sendRaw("x".repeat(1024 * 1024 + 1));
    assert.equal(await sa.waitForClose(), CloseCode.messageTooBig);
  });

  it("refuses binary messages", async () => {
    const { sa } = await pair();
    sa.sendRaw(Buffer.from([1, 2, 3]), true);
    await sa.waitFor(isError(ErrorCode.badFrame));
    await stillUsable(sa);
    sa.close();
  });

  it("refuses sending into a conversation the user is not part of, and to unknown users", async () => {
    const { a, b } = await pair();
    const c = await register(courier.url);
    const sb = await RawSocket.authed(courier.url, b.token);
    sb.sendText({ cid: "hello", to: c.user.id, text: "hi c" });
    const sent = await sb.waitFor((f) => f.t === "sent");
    assert.equal(sent.t, "sent");
    const conv = sent.t === "sent" ? sent.conv : "";
    const sa = await RawSocket.authed(courier.url, a.token);
    sa.sendJson({ t: "send", cid: "intrude", conv, content: { type: "text", text: "let me in" } });
    sa.sendJson({ t: "pull", conv, after: 0 });
    sa.sendText({ cid: "ghost", to: "no-such-user", text: "boo" });
    await sa.waitFor(
      (f) => f.t === "error" && f.ref === "intrude" && f.code === ErrorCode.notMember,
    );
    await sa.waitFor(
      (f) => f.t === "error" && f.ref === "ghost" && f.code === ErrorCode.noSuchUser,
    );
    await sa.waitFor(
      (f) => f.t === "error" && f.code === ErrorCode.notMember && f.ref === undefined,
    );
    assert.equal(
      sa.frames.some((f) => f.t === "msg"),
      false,
    );
    const stored = await courier.store.messagesAfter(conv, 0, 10);
    assert.deepEqual(
      stored.map((m) => m.cid),
      ["hello"],
    );
    sa.close();
    sb.close();
  });

  it("closes with 4001 for a bad token or a first frame that is not auth, 4002 without auth", async () => {
    const bad = await RawSocket.open(courier.url);
    bad.sendJson({ t: "auth", token: "nope" });
    assert.equal(await bad.waitForClose(), CloseCode.authFailed);
    const early = await RawSocket.open(courier.url);
    early.sendJson({ t: "ping" });
    assert.equal(await early.waitForClose(), CloseCode.authFailed);
    const silent = await RawSocket.open(courier.url);
    assert.equal(await silent.waitForClose(), CloseCode.authTimeout);
  });

  it("closes a revoked device's connection with 4003 and refuses its token afterwards", async () => {
    const { a, sa } = await pair();
    const res = await api(courier.url, a.token, "POST", "/api/logout");
    assert.equal(res.status, 204);
    assert.equal(await sa.waitForClose(), CloseCode.revoked);
    const again = await RawSocket.open(courier.url);
    again.sendJson({ t: "auth", token: a.token });
    assert.equal(await again.waitForClose(), CloseCode.authFailed);
  });

  it("rate-limits a flood, then closes it with 4029, while another conversation carries on", async () => {
    const { sa } = await pair();
    const x = await register(courier.url);
    const y = await register(courier.url);
    const sx = await RawSocket.authed(courier.url, x.token);
    const sy = await RawSocket.authed(courier.url, y.token);
    const burst = Array.from({ length: 200 }, (_, n) => ({ t: "ping", n }));
    for (let i = 0; i < 5; i++) sa.sendJson(burst);
    await sa.waitFor(isError(ErrorCode.rateLimited));
    assert.equal(await sa.waitForClose(), CloseCode.flood);
    sx.sendText({ cid: "calm", to: y.user.id, text: "still here?" });
    await sy.waitFor((f) => f.t === "msg" && f.cid === "calm");
    sx.close();
    sy.close();
  });
});

describe("bad input over REST", () => {
  let courier: TestCourier;
  before(async () => {
    courier = await startCourier();
  });
  after(() => courier.stop());

  it("gives each failure a status and a stable code", async () => {
    const reg = await register(courier.url, "restuser");
    const cases: Array<[string, string, unknown, string | undefined, number, string]> = [
      ["POST", "/api/register", "{oops", undefined, 400, ErrorCode.badRequest],
      [
        "POST",
        "/api/register",
        { username: "A B", password: "x" },
        undefined,
        400,
        ErrorCode.badRequest,
      ],
      [
        "POST",
        "/api/register",
        { username: "restuser", password: "long enough" },
        undefined,
        409,
        ErrorCode.conflict,
      ],
      [
        "POST",
        "/api/login",
        { username: "restuser", password: "wrong password" },
        undefined,
        401,
        ErrorCode.unauthorized,
      ],
      [
        "POST",
        "/api/login",
        { username: "nobody", password: "wrong password" },
        undefined,
        401,
        ErrorCode.unauthorized,
      ],
      ["GET", "/api/conversations", undefined, undefined, 401, ErrorCode.unauthorized],
      ["GET", "/api/conversations", undefined, "forged", 401, ErrorCode.unauthorized],
      ["GET", "/api/conversations/d:x:y/messages", undefined, reg.token, 403, ErrorCode.notMember],
      ["GET", "/api/users?prefix=", undefined, reg.token, 400, ErrorCode.badRequest],
      ["DELETE", "/api/devices/nope", undefined, reg.token, 404, ErrorCode.notFound],
      ["POST", "/api/conversations", { with: "ghost" }, reg.token, 404, ErrorCode.noSuchUser],
      ["GET", "/api/nothing-here", undefined, reg.token, 404, ErrorCode.notFound],
    ];
    for (const [method, path, body, token, status, code] of cases) {
      const res = await api(courier.url, token, method, path, body);
      assert.equal(res.status, status, `${method} ${path}`);
      assert.equal((res.body as { code: string }).code, code, `${method} ${path}`);
    }
    const big = await api(courier.url, undefined, "POST", "/api/register", {
      username: "x".repeat(100_000),
    });
    assert.equal(big.status, 413);
    assert.equal((big.body as { code: string }).code, ErrorCode.tooLarge);
  });
});
