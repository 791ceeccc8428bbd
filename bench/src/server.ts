import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { boostProcess } from "./boost.ts";
import { Inspector } from "./inspector.ts";

/** The server under test: one this bench started (pid known, stopped after), or `--target`. */
export interface ServerHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Known only for a server this bench started. */
  pid: number | undefined;
  /** Set when started with `inspect`: forces GCs and reads the heap from outside. */
  inspector: Inspector | undefined;
  /** Stops a started server (SIGTERM, then SIGKILL after 15 s) and deletes its data; no-op for a target. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Write a V8 CPU profile into this folder (written when the server exits). */
  cpuProfileDir?: string;
  /** Start with the inspector on a random loopback port, to force GCs from the bench. */
  inspect?: boolean;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** Extra Node/V8 flags, before the server's script (`--server-node-args`). */
  nodeArgs?: string[];
  /** Run it in its own session with a raised scheduler priority (see boost.ts). */
  boost?: boolean;
}

/** The diagnostics a bench run asked for on the server's command line. */
export function diagnosticOptions(args: {
  serverCpuProf: string;
  serverNodeArgs: string[];
}): Pick<StartOptions, "cpuProfileDir" | "nodeArgs"> {
  return {
    ...(args.serverCpuProf ? { cpuProfileDir: args.serverCpuProf } : {}),
    nodeArgs: args.serverNodeArgs,
  };
}

const serverMain = fileURLToPath(new URL("../../packages/server/src/main.ts", import.meta.url));

/** The environment the bench gives a server it starts: no rate limit in the way, cheap password hashing. */
export function benchServerEnv(dataDir: string): Record<string, string> {
  return {
    PORT: "0",
    HOST: "127.0.0.1",
    COURIER_DATA_DIR: dataDir,
    COURIER_RETENTION: "history",
    COURIER_RATE_LIMIT: "1000000",
    COURIER_RATE_BURST: "1000000",
    // argon2id at 64 KiB and one pass: registering thousands of bench users takes seconds, not minutes.
    COURIER_ARGON2_MEMORY_KIB: "64",
    COURIER_ARGON2_TIME_COST: "1",
    COURIER_LOG_LEVEL: "warn",
  };
}

export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "courier-bench-"));
  const nodeArgs: string[] = [...(options.nodeArgs ?? [])];
  if (options.cpuProfileDir) {
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${path.resolve(options.cpuProfileDir)}`);
  }
  if (options.inspect) nodeArgs.push("--inspect=127.0.0.1:0");
  // process.execPath is the Node 24 that runs the bench (npm scripts and npx put it first).
  const child = spawn(process.execPath, [...nodeArgs, serverMain], {
    env: { ...process.env, ...benchServerEnv(dataDir), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.boost === true,
  });
  if (options.boost && child.pid !== undefined) boostProcess(child.pid);
  // A detached server does not get the terminal's Ctrl-C: make sure it never outlives the bench.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    process.off("exit", killOnExit);
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const { url, inspectorUrl } = await waitForStart(child, remember, options.inspect === true);
    const inspector = inspectorUrl ? await Inspector.connect(inspectorUrl) : undefined;
    return {
      url,
      pid: child.pid,
      inspector,
      stop: async () => {
        inspector?.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw new Error(`the server did not start: ${(err as Error).message}\n${tail.join("\n")}`);
  }
}

function waitForStart(
  child: ChildProcess,
  remember: (line: string) => void,
  inspect: boolean,
): Promise<{ url: string; inspectorUrl: string | undefined }> {
  return new Promise((resolve, reject) => {
    let url: string | undefined;
    let inspectorUrl: string | undefined;
    const done = () => {
      if (url !== undefined && (!inspect || inspectorUrl !== undefined)) {
        clearTimeout(timer);
        resolve({ url, inspectorUrl });
      }
    };
    const timer = setTimeout(() => reject(new Error("no start line within 30 s")), 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code ?? signal}`));
    });
    lines(child.stdout, (line) => {
      remember(line);
      const m = /running at (http:\/\/\S+)/.exec(line);
      if (m?.[1] && url === undefined) {
        url = m[1].replace("localhost", "127.0.0.1");
        done();
      }
    });
    lines(child.stderr, (line) => {
      remember(line);
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (m?.[1] && inspectorUrl === undefined) {
        inspectorUrl = m[1];
        done();
      }
    });
  });
}

/** Reads a stream line by line, for as long as it runs (a full pipe would block the server). */
function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  });
}
