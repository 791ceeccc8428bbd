import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerFrame } from "@courier/protocol";
import { register } from "./support/accounts.ts";
import { startCourier, type TestCourier } from "./support/courier.ts";
import { makeFuzzer } from "./support/fuzz-frames.ts";
import { RawSocket } from "./support/raw-socket.ts";

const totalFrames = 100_000;
const sockets = 4;

describe("fuzzing a live server", () => {
  let courier: TestCourier;
  before(async () => {
    // The rate limit is lifted so that the fuzz reaches the parser and handlers, not the limiter.
    courier = await startCourier({
      COURIER_RATE_LIMIT: "10000000",
      COURIER_RATE_BURST: "10000000",
    });
  });
  after(() => courier.stop());

  it(`survives ${totalFrames.toLocaleString("en")} random and mutated frames, then chats normally`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const a = await register(courier.url);
    const b = await register(courier.url);
    const first = await RawSocket.authed(courier.url, a.token);
    first.sendText({ cid: "seed", to: b.user.id, text: "hi" });
    const sent = await first.waitFor(
      (f): f is Extract<ServerFrame, { t: "sent" }> => f.t === "sent",
    );
    first.close();

    let sentCount = 0;
    let reopened = 0;
    const closeCodes = new Set<number>();
    await Promise.all(
      Array.from({ length: sockets }, async (_, index) => {
        const next = makeFuzzer(seed + index, { conv: sent.conv, peer: b.user.id });
        let socket = await RawSocket.authed(courier.url, a.token);
        for (let i = 0; i < totalFrames / sockets; i++) {
          if (socket.closeCode !== undefined) {
            closeCodes.add(socket.closeCode);
            reopened += 1;
            socket = await RawSocket.authed(courier.url, a.token);
          }
          const { data, binary } = next();
          socket.sendRaw(data, binary);
          sentCount += 1;
          // Let the server breathe now and then, and keep memory of collected frames bounded.
          if (i % 500 === 499) {
            await new Promise((resolve) => setImmediate(resolve));
            socket.frames.length = 0;
          }
        }
        if (socket.closeCode !== undefined) socket = await RawSocket.authed(courier.url, a.token);
        socket.sendJson({ t: "ping", n: -1 });
        await socket
          .waitFor((f) => f.t === "pong", 30_000)
          .catch((err: unknown) => {
            throw new Error(`socket ${index} closed=${socket.closeCode}: ${err}`);
          });
        socket.close();
      }),
    );
    assert.equal(sentCount, totalFrames);
    console.log(
      `fuzz: ${sentCount} messages sent, ${reopened} reconnects, close codes ${[...closeCodes]}`,
    );
    // The only close the fuzz may provoke: 1007, which RFC 6455 requires for a text message that is
    // not valid UTF-8. Everything else must be answered with an error frame on a live connection.
    assert.deepEqual(
      [...closeCodes].filter((code) => code !== 1007),
      [],
    );

    // The server is alive and a normal conversation works end to end.
    const c = await register(courier.url);
    const d = await register(courier.url);
    const sc = await RawSocket.authed(courier.url, c.token);
    const sd = await RawSocket.authed(courier.url, d.token);
    sc.sendText({ cid: "after-fuzz", to: d.user.id, text: "still fine" });
    const msg = await sd.waitFor((f): f is Extract<ServerFrame, { t: "msg" }> => f.t === "msg");
    assert.equal(msg.content.type === "text" && msg.content.text, "still fine");
    sd.sendJson({ t: "read", conv: msg.conv, seq: msg.seq });
    await sc.waitFor((f) => f.t === "receipt" && f.read === msg.seq);
    const health = await fetch(`${courier.url}/healthz`);
    assert.equal(health.status, 200);
    sc.close();
    sd.close();
  });
});
