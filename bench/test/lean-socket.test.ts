import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { LeanSocket, type LeanSocketHooks } from "../src/lean-socket.ts";
import { echoServer } from "./support/echo-server.ts";

/** A LeanSocket whose events are recorded, with promises for the next of each. */
function record(url: string) {
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  let closeCode: number | undefined;
  let error: Error | undefined;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  let opened = false;
  const hooks: LeanSocketHooks = {
    open: () => {
      opened = true;
      wake();
    },
    message: (text) => {
      messages.push(text);
      wake();
    },
    close: (code) => {
      closeCode = code;
      wake();
    },
    error: (err) => {
      error = err;
      wake();
    },
  };
  const socket = new LeanSocket(url, hooks);
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    socket,
    messages,
    opened: () => until(() => opened),
    message: (n: number) => until(() => messages.length >= n),
    closed: async () => {
      await until(() => closeCode !== undefined);
      return closeCode;
    },
    failed: async () => {
      await until(() => error !== undefined);
      return error;
    },
  };
}

describe("LeanSocket against the ws server", () => {
  // Echoes every text message back as text.
  const server = echoServer((text) => text);

  it("carries text both ways at every length encoding, UTF-8 intact", async () => {
    const client = record(server.url);
    await client.opened();
    const texts = ["hi", "x".repeat(125), "é".repeat(100), "ü✓🚀".repeat(9000), "y".repeat(70_000)];
    for (const text of texts) client.socket.send(text);
    await client.message(texts.length);
    assert.deepEqual(client.messages, texts);
    client.socket.close(1000);
    assert.equal(await client.closed(), 1000);
  });

  it("answers a ping with a pong that carries its payload", async () => {
    const pong = new Promise<Buffer>((resolve) => {
      server.wss.once("connection", (ws) => {
        ws.once("pong", resolve);
        ws.ping(Buffer.from("are you there"));
      });
    });
    const client = record(server.url);
    await client.opened();
    assert.equal(String(await pong), "are you there");
    client.socket.close();
  });

  it("reports the server's close code", async () => {
    server.wss.once("connection", (ws) => ws.close(4001, "go away"));
    const client = record(server.url);
    assert.equal(await client.closed(), 4001);
  });
});

describe("LeanSocket against a hand-written server", () => {
  let server: Server;
  let url: string;
  /** What the test's server does with the socket once it accepted the upgrade. */
  let onUpgraded: (socket: Socket) => void = () => {};
  let accept: (key: string) => string = (key) =>
    createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  const sockets = new Set<Socket>();
  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.setNoDelay(true);
      let head = "";
      const onData = (chunk: Buffer) => {
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        socket.off("data", onData);
        const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? "";
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${accept(key)}\r\n\r\n`,
        );
        onUpgraded(socket);
      };
      socket.on("data", onData);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/ws`;
  });
  after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });

  it("reassembles frames split over many reads, and fragmented messages", async () => {
    const text = Buffer.from("a frame cut into single bytes ✓");
    const part1 = Buffer.from("frag");
    const part2 = Buffer.from("mented");
    const bytes = Buffer.concat([
      Buffer.from([0x81, text.length]),
      text,
      // "fragmented" as a text frame without FIN, then a continuation frame with FIN.
      Buffer.from([0x01, part1.length]),
      part1,
      Buffer.from([0x80, part2.length]),
      part2,
    ]);
    onUpgraded = async (socket) => {
      for (const byte of bytes) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    const client = record(url);
    await client.message(2);
    assert.deepEqual(client.messages, [text.toString(), "fragmented"]);
    client.socket.close();
  });

  it("masks what it sends, as a client must", async () => {
    const received = new Promise<Buffer>((resolve) => {
      onUpgraded = (socket) => socket.once("data", resolve);
    });
    const client = record(url);
    await client.opened();
    client.socket.send("secret");
    const frame = await received;
    assert.equal(frame[0], 0x81);
    assert.equal(frame[1], 0x80 | 6, "MASK bit set, length 6");
    const mask = frame.subarray(2, 6);
    const payload = Buffer.from(frame.subarray(6).map((b, i) => b ^ (mask[i % 4] as number)));
    assert.equal(payload.toString(), "secret");
    client.socket.close();
  });

  it("refuses a server whose Sec-WebSocket-Accept is wrong", async () => {
    accept = () => "bm90IHRoZSByaWdodCBrZXk=";
    onUpgraded = () => {};
    const client = record(url);
    const err = await client.failed();
    assert.match(String(err?.message), /handshake/);
    assert.equal(await client.closed(), 1006);
  });
});
