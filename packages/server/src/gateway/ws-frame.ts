/**
 * A WebSocket text frame as a server sends it (RFC 6455 §5.2: FIN, opcode 1, no mask): header
 * and UTF-8 payload in one buffer, so that the connection writes it with one `write` and a frame
 * shared by many connections (a group message) is encoded and framed once, not once per member.
 * The `ws` library would convert the string and build a header on every send, and hand the
 * socket two buffers.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    // A 64-bit length; frames here stay far below 2^32 bytes.
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  frame.write(text, header, "utf8");
  return frame;
}
