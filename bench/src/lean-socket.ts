import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/**
 * The least WebSocket client (RFC 6455) the raw driver needs: text messages both ways, pings
 * answered, the close handshake. It exists because the generator shares the machine's two
 * cores with the server it measures. `ws` runs every chunk through a Writable stream, draws a
 * fresh mask from the CSPRNG for every frame and writes header and payload with `writev`; here
 * a frame is one buffer, one `write`, and incoming bytes are parsed in place. What a client of
 * Courier sends (JSON text under the server's frame limit) is all it has to carry; it does not
 * fragment, compress or speak binary.
 */
export interface LeanSocketHooks {
  open(): void;
  message(text: string): void;
  /** The connection ended; `code` is the peer's close code, 1006 if none came. */
  close(code: number): void;
  error(err: Error): void;
}

const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/**
 * Where every LeanSocket of the process reads into (net's `onread`): the callback parses a read
 * before the next one can happen, and what it keeps (a partial frame, a fragment) it copies.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const empty = Buffer.alloc(0);
const opText = 0x1;
const opClose = 0x8;
const opPing = 0x9;
const opPong = 0xa;

export class LeanSocket {
  readonly #socket: Socket;
  readonly #hooks: LeanSocketHooks;
  readonly #key = randomBytes(16).toString("base64");
  /**
   * One masking key per connection: the mask only keeps intermediaries from mistaking frames
   * for other protocols; the server unmasks whatever the key.
   */
  readonly #mask = randomBytes(4);
  /** The server accepted the upgrade: what follows is frames. */
  #upgraded = false;
  /** Upgraded, and no close frame sent or received: messages may go out. */
  #open = false;
  #closed = false;
  #closeCode = 1006;
  /** Bytes received and not parsed yet (a frame, or the handshake, split over chunks). */
  #pending: Buffer = empty;
  /** Text of a fragmented message so far. */
  #fragments: Buffer[] = [];

  constructor(url: string, hooks: LeanSocketHooks, localAddress?: string) {
    const { hostname, port, pathname } = new URL(url);
    this.#hooks = hooks;
    this.#socket = connect({
      host: hostname,
      port: Number(port),
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
      // Reads go straight to the parser, not through a Readable stream and its `data` events:
      // no buffer allocated per read, no stream bookkeeping (the generator reads three frames
      // per message it measures).
      onread: {
        buffer: readBuffer,
        callback: (length: number) => {
          this.#onData(readBuffer.subarray(0, length));
          return true;
        },
      },
    });
    this.#socket.on("connect", () => {
      this.#socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.#socket.on("error", (err) => hooks.error(err));
    this.#socket.on("close", () => {
      this.#closed = true;
      hooks.close(this.#closeCode);
    });
  }

  send(text: string): void {
    if (!this.#open || this.#closed) return;
    this.#socket.write(this.#frame(opText, Buffer.from(text)));
  }

  /** Starts the close handshake; the connection ends when the server answers. */
  close(code = 1000): void {
    if (this.#closed) return;
    if (!this.#open) {
      this.#socket.destroy();
      return;
    }
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.#socket.write(this.#frame(opClose, payload));
    this.#open = false;
  }

  /** A masked client frame: header, mask and payload in one buffer. */
  #frame(opcode: number, payload: Buffer): Buffer {
    const length = payload.length;
    const header = length < 126 ? 6 : length < 65_536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(header + length);
    frame[0] = 0x80 | opcode;
    if (length < 126) {
      frame[1] = 0x80 | length;
    } else if (length < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(0, 2);
      frame.writeUInt32BE(length, 6);
    }
    const mask = this.#mask;
    mask.copy(frame, header - 4);
    for (let i = 0; i < length; i++)
      frame[header + i] = (payload[i] as number) ^ (mask[i & 3] as number);
    return frame;
  }

  #onData(chunk: Buffer): void {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    if (!this.#upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        this.#pending = Buffer.from(buf);
        return;
      }
      if (!this.#accepts(buf.toString("latin1", 0, end))) {
        this.#hooks.error(new Error("WebSocket handshake refused"));
        this.#socket.destroy();
        return;
      }
      this.#upgraded = true;
      this.#open = true;
      buf = buf.subarray(end + 4);
      this.#hooks.open();
    }
    let at = 0;
    while (buf.length - at >= 2) {
      const b0 = buf[at] as number;
      const b1 = buf[at + 1] as number;
      let length = b1 & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
        start = at + 10;
      }
      if (buf.length < start + length) break;
      this.#onFrame(b0 & 0x80, b0 & 0x0f, buf.subarray(start, start + length));
      at = start + length;
    }
    // Copied: the read buffer is shared, and the next read overwrites it.
    this.#pending = at === buf.length ? empty : Buffer.from(buf.subarray(at));
  }

  #accepts(head: string): boolean {
    const expected = createHash("sha1")
      .update(this.#key + guid)
      .digest("base64");
    return (
      /^HTTP\/1\.1 101 /.test(head) &&
      new RegExp(`^sec-websocket-accept: *${expected.replace(/[+/]/g, "\\$&")} *$`, "im").test(head)
    );
  }

  #onFrame(fin: number, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case opText:
      case 0x0: {
        if (fin && this.#fragments.length === 0) {
          this.#hooks.message(payload.toString("utf8"));
          return;
        }
        this.#fragments.push(Buffer.from(payload));
        if (fin) {
          const text = Buffer.concat(this.#fragments).toString("utf8");
          this.#fragments = [];
          this.#hooks.message(text);
        }
        return;
      }
      case opPing:
        if (this.#open) this.#socket.write(this.#frame(opPong, payload));
        return;
      case opClose:
        this.#closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        // Echo the close (unless we started it), then the server ends the TCP connection.
        if (this.#open) this.#socket.write(this.#frame(opClose, payload.subarray(0, 2)));
        this.#open = false;
        this.#socket.end();
        return;
      default:
        return; // pong, binary: nothing the raw driver uses
    }
  }
}
