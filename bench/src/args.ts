import { parseArgs } from "node:util";

/** Everything the command line can say, with the defaults the benchmark uses. */
export interface BenchArgs {
  scenario: "messaging" | "idle" | "store" | "group";
  /** Arguments after the scenario name, untouched (the store scenario parses its own). */
  rest: string[];
  pairs: number;
  /** Measured seconds, after the warm-up. */
  duration: number;
  warmup: number;
  /** Messages in flight per sender (closed loop). */
  window: number;
  /** Open loop: total messages per second over all pairs; 0 = closed loop. */
  rate: number;
  procs: number;
  /** Whether --procs was given (otherwise one process per 10,000 clients, see generatorProcs). */
  procsGiven: boolean;
  /** An already running server, e.g. http://127.0.0.1:3000; empty = start one. */
  target: string;
  /** Drive the wire protocol directly instead of through the SDK. */
  raw: boolean;
  /** Idle scenario: connections to hold. */
  connections: number;
  /** Idle scenario: seconds to wait after all connections are online. */
  settle: number;
  /** Bytes of text per message. */
  size: number;
  /** Group scenario: members besides the sender. */
  members: number;
  /** Group scenario: messages the sender sends, one at a time, measured. */
  sends: number;
  /** Group scenario: unmeasured sends first (JIT warm-up). */
  warmupSends: number;
  /** Group scenario: the server's COURIER_LARGE_GROUP (groups above it take the large path: one event per node). */
  largeThreshold: number;
  /** Group scenario: members brought online; 0 = all that fit (at most 19,000). */
  online: number;
  /** Group scenario: pause between sends, ms (after the previous one reached everyone). */
  gap: number;
  /** Profile the server's CPU during the measured window into this folder. */
  serverProfile: string;
  /** Start the server with `--cpu-prof` into this folder: its whole life, every thread (the SQLite writer too). */
  serverCpuProf: string;
  /** Extra Node/V8 flags for the server it starts, such as --trace-gc-nvp. */
  serverNodeArgs: string[];
  /** Write V8 CPU profiles of the generator workers into this folder. */
  workerProfile: string;
  /** Raise the server's and workers' scheduler priority (shared machine; needs root). */
  boost: boolean;
  /** Print only the final JSON line. */
  quiet: boolean;
}

const usage = `usage: npm run bench -- [messaging|idle|store|group] [flags]

  messaging (default)   N pairs of SDK clients, send -> delivered receipt round trips
    --pairs N           pairs of clients (1000)
    --duration S        measured seconds (20), after --warmup S (3)
    --window W          messages in flight per sender, closed loop (10)
    --rate R            open loop instead: R messages/s in total, paced
    --size B            bytes of text per message (100)
    --raw               drive the wire protocol directly, not the SDK (SDK overhead comparison)
  idle                  hold idle authenticated connections, print server memory per connection
    --connections N     (10000)
    --settle S          seconds to wait once all are online (5)
  store                 the store benchmark (bench/src/store.ts)
  group                 one group, its members online as raw wire-protocol clients; the sender
                        (an SDK client) sends one message at a time: time from send until the
                        last online member has it
    --sdk               the members are SDK clients instead: on two cores the generator's
                        1,000 SDK clients then take longer to read a message than the server
                        takes to write it, and the figure is the generator's
    --members N         members besides the sender (1000)
    --sends S           measured messages, one at a time (100)
    --warmup-sends W    unmeasured messages sent first, while V8 optimizes the code (10)
    --large-threshold T the server's COURIER_LARGE_GROUP (1024): a group of N + 1 <= T takes
                        the small path (fan-out on write), above it the large path
    --online K          members online (default: all, at most 19,000: one server process
                        holds about 19,500 sockets)
    --gap MS            pause between sends, after the previous message reached everyone (200)

  common
    --procs P           generator worker processes (one per 10,000 clients)
    --target URL        use a running server instead of starting one
    --server-profile D  profile the server's CPU during the measured window (through the
                        inspector), .cpuprofile into folder D; read it with
                        npx node bench/src/profile-top.ts <file>
    --server-cpu-prof D start the server with --cpu-prof into folder D: its whole life, one
                        profile per thread (the SQLite writer thread included)
    --server-node-args="FLAGS"
                        start the server with these Node/V8 flags, for example
                        --server-node-args="--trace-gc-nvp --max-semi-space-size=16"
                        (with "=": the value starts with a dash)
    --worker-profile D  start the workers with --cpu-prof, profiles into folder D
    --boost             run server and workers in their own sessions with a raised autogroup
                        priority (root): on a shared machine, close to dedicated cores
    --quiet             print only the JSON result line
`;

export function parseBenchArgs(argv: string[]): BenchArgs | undefined {
  const first = argv[0];
  const named = first !== undefined && !first.startsWith("-");
  const scenario = named ? first : "messaging";
  const rest = named ? argv.slice(1) : argv;
  if (
    scenario !== "messaging" &&
    scenario !== "idle" &&
    scenario !== "store" &&
    scenario !== "group"
  ) {
    console.error(`unknown scenario ${JSON.stringify(scenario)}\n\n${usage}`);
    return undefined;
  }
  if (scenario === "store") return { ...defaults(), scenario, rest };
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      pairs: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      window: { type: "string" },
      rate: { type: "string" },
      procs: { type: "string" },
      target: { type: "string" },
      raw: { type: "boolean" },
      sdk: { type: "boolean" },
      connections: { type: "string" },
      settle: { type: "string" },
      size: { type: "string" },
      members: { type: "string" },
      sends: { type: "string" },
      "warmup-sends": { type: "string" },
      "large-threshold": { type: "string" },
      online: { type: "string" },
      gap: { type: "string" },
      "server-profile": { type: "string" },
      "server-cpu-prof": { type: "string" },
      "server-node-args": { type: "string" },
      "worker-profile": { type: "string" },
      boost: { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  if (values.raw && values.sdk) {
    console.error(`--raw and --sdk exclude each other\n\n${usage}`);
    return undefined;
  }
  const d = defaults();
  return {
    scenario,
    rest,
    pairs: int(values.pairs, d.pairs, "pairs", 1),
    duration: num(values.duration, d.duration, "duration"),
    warmup: num(values.warmup, d.warmup, "warmup"),
    window: int(values.window, d.window, "window", 1),
    rate: num(values.rate, d.rate, "rate"),
    procs: int(values.procs, d.procs, "procs", 1),
    procsGiven: values.procs !== undefined,
    target: values.target ?? "",
    // Group members are raw clients unless --sdk; every other scenario's clients are SDK clients
    // unless --raw.
    raw: values.raw ?? (scenario === "group" && values.sdk !== true),
    connections: int(values.connections, d.connections, "connections", 1),
    settle: num(values.settle, d.settle, "settle"),
    size: int(values.size, d.size, "size", 1),
    members: int(values.members, d.members, "members", 1),
    sends: int(values.sends, d.sends, "sends", 1),
    warmupSends: int(values["warmup-sends"], d.warmupSends, "warmup-sends", 0),
    largeThreshold: int(values["large-threshold"], d.largeThreshold, "large-threshold", 1),
    online: int(values.online, d.online, "online", 0),
    gap: num(values.gap, d.gap, "gap"),
    serverProfile: values["server-profile"] ?? "",
    serverCpuProf: values["server-cpu-prof"] ?? "",
    serverNodeArgs: (values["server-node-args"] ?? "").split(" ").filter((flag) => flag !== ""),
    workerProfile: values["worker-profile"] ?? "",
    boost: values.boost ?? false,
    quiet: values.quiet ?? false,
  };
}

function defaults(): Omit<BenchArgs, "scenario" | "rest"> {
  return {
    pairs: 1000,
    duration: 20,
    warmup: 3,
    window: 10,
    rate: 0,
    procs: 1,
    procsGiven: false,
    target: "",
    raw: false,
    connections: 10_000,
    settle: 5,
    size: 100,
    members: 1000,
    sends: 100,
    warmupSends: 10,
    largeThreshold: 1024,
    online: 0,
    gap: 200,
    serverProfile: "",
    serverCpuProf: "",
    serverNodeArgs: [],
    workerProfile: "",
    boost: false,
    quiet: false,
  };
}

function num(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0`);
  return value;
}

function int(raw: string | undefined, fallback: number, name: string, min: number): number {
  const value = num(raw, fallback, name);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} must be an integer >= ${min}`);
  }
  return value;
}
