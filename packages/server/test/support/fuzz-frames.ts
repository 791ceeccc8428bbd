/**
 * Frames for fuzzing: random junk and mutations of valid frames, from a seeded generator so that a
 * failure can be replayed with the seed the test prints.
 */
export function rng(seed: number): () => number {
  // mulberry32: small, fast, good enough to spread inputs.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const weird: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 63),
  1e308,
  "",
  "x".repeat(300),
  "\u0000",
  "\ud800",
  "😀".repeat(50),
  "<script>alert(1)</script>",
  [],
  {},
  [[[[[]]]]],
  { __proto__: { admin: true } },
  { constructor: { prototype: { polluted: true } } },
];

export interface FuzzTargets {
  /** A conversation the fuzzing user is in, and a user id that exists. */
  conv: string;
  peer: string;
}

export function makeFuzzer(seed: number, targets: FuzzTargets) {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const int = (n: number) => Math.floor(random() * n);

  const valid = (): Record<string, unknown> => {
    switch (int(7)) {
      case 0:
        return {
          t: "send",
          cid: `f${int(1e9)}`,
          conv: targets.conv,
          content: { type: "text", text: "fuzz" },
        };
      case 1:
        return {
          t: "send",
          cid: `f${int(1e9)}`,
          to: targets.peer,
          content: { type: "text", text: "fz" },
        };
      case 2:
        return { t: "ack", conv: targets.conv, seq: int(5) };
      case 3:
        return { t: "read", conv: targets.conv, seq: int(5) };
      case 4:
        return { t: "typing", conv: targets.conv, on: random() < 0.5 };
      case 5:
        return { t: "pull", conv: targets.conv, after: int(3), limit: 1 + int(3) };
      default:
        return { t: "ping", n: int(100) };
    }
  };

  const mutate = (frame: Record<string, unknown>): unknown => {
    const keys = Object.keys(frame);
    const copy: Record<string, unknown> = { ...frame };
    const times = 1 + int(3);
    for (let i = 0; i < times; i++) {
      const key = pick(keys);
      switch (int(6)) {
        case 0:
          delete copy[key];
          break;
        case 1:
          copy[key] = pick(weird);
          break;
        case 2:
          copy[`extra${int(5)}`] = pick(weird);
          break;
        case 3:
          copy.t = pick(["send", "ack", "auth", "SEND", "", "msg", "sent", "__proto__"]);
          break;
        case 4:
          copy.content = pick([
            { type: "image" },
            { type: "text" },
            { type: "text", text: pick(weird) },
            "text",
          ]);
          break;
        default:
          copy.conv = pick([targets.conv, `${targets.conv}x`, "d:a:b", "", pick(weird)]);
      }
    }
    return copy;
  };

  /** One WebSocket message's text (or bytes, for binary messages). */
  return (): { data: string | Buffer; binary: boolean } => {
    switch (int(10)) {
      case 0: {
        const bytes = Buffer.alloc(1 + int(64));
        for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
        return { data: random() < 0.5 ? bytes : bytes.toString("latin1"), binary: random() < 0.3 };
      }
      case 1:
        return { data: JSON.stringify(pick(weird)), binary: false };
      case 2: {
        const text = JSON.stringify(valid());
        return { data: text.slice(0, int(text.length)), binary: false }; // truncated JSON
      }
      case 3:
        return {
          data: JSON.stringify(Array.from({ length: 1 + int(5) }, () => mutate(valid()))),
          binary: false,
        };
      case 4:
        return { data: JSON.stringify(valid()), binary: false };
      default:
        return { data: JSON.stringify(mutate(valid())), binary: false };
    }
  };
}
