import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CourierClient, MemoryStorage } from "@courier/client";
import type { GroupInfo } from "@courier/protocol";
import { type BenchSession, registerUsers } from "./accounts.ts";
import type { BenchArgs } from "./args.ts";
import { sharedImmediate } from "./driver.ts";
import type { GroupWorkerResult } from "./ipc.ts";
import { leanWebSocket } from "./lean-websocket.ts";
import { groupTextPrefix, monotonicNow } from "./load.group.ts";
import { describePauses, type Pauses, pausesBetween, readPauses } from "./pauses.ts";
import { sleep } from "./pool.ts";
import { sampleProc, threadCores, threadTimes } from "./proc.ts";
import { cores, int, mib, ms, Report } from "./report.ts";
import { type LatencySummary, summarize } from "./samples.ts";
import { diagnosticOptions, type ServerHandle, startServer } from "./server.ts";
import { generatorProcs, WorkerPool } from "./workers.ts";

/** One server process holds about 19,500 sockets (20,000 files): the default cap on members online. */
const maxOnline = 19_000;
/** POST /api/groups and POST /api/groups/:id/members take at most 1,024 users a request. */
const chunk = 1000;
/** A message that has not reached every online member after this long counts as lost. */
const perSendTimeoutMs = 30_000;

export interface GroupResult {
  bench: "group";
  /** `small` = fan-out on write (N + 1 <= threshold), `large` = one group event per node (the message inline, or notify + pull). */
  path: "small" | "large";
  /** Members besides the sender; the group has members + 1. */
  members: number;
  /** Members online (the rest are members that are offline). */
  online: number;
  /** What the online members are: SDK clients, or raw wire-protocol clients (`--raw`). */
  driver: "sdk" | "raw";
  largeThreshold: number;
  sends: number;
  procs: number;
  gapMs: number;
  /** Per send: time from send until the last online member had it. */
  lastMs: LatencySummary;
  /** Per send: time from send until the first online member had it. */
  firstMs: LatencySummary;
  /** The sender's `sent` ack per send. */
  ackMs: LatencySummary;
  /** Member × message arrivals: expected (online × sends), got once, doubled. */
  expected: number;
  received: number;
  doubles: number;
  /** Online members that got every message. */
  membersComplete: number;
  /** Sends that did not reach every online member within 30 s. */
  incomplete: number;
  ok: boolean;
  setupSeconds: { register: number; group: number; online: number };
  server: {
    pid: number | undefined;
    rssBefore: number;
    rssAfter: number;
    rssPeak: number;
    /** CPU over the send phase (sends, pauses and the deliveries). */
    cpuSeconds: number;
    cpuCores: number;
    cpuMsPerSend: number;
    threads: Record<string, number>;
  } | null;
  /** The server's GC pauses and event-loop delay over the send phase (from its /metrics). */
  serverPauses: Pauses | null;
  sendPhaseSeconds: number;
  loadavg: number[];
  errors: Record<string, number>;
}

/**
 * `group --members N`: one group of N members and a sender. Members (up to 19,000) are online as
 * SDK clients over the worker processes; the sender (an SDK client in this process) sends S
 * messages one at a time, and each is timed from the send until the last online member has it.
 */
export async function runGroup(args: BenchArgs): Promise<GroupResult> {
  const report = new Report(args.quiet);
  const groupSize = args.members + 1;
  const path_ = groupSize > args.largeThreshold ? "large" : "small";
  const online = Math.min(args.members, args.online > 0 ? args.online : maxOnline);
  // On 2 cores a second process for 1,000 members only competes with the server for the core
  // while the message goes out (measured at 1,000 members: p99 42.5 ms with one process,
  // 45.6 - 65.4 ms with two).
  const procs = generatorProcs(args, online);
  report.line(
    `Courier group bench: ${int(args.members)} members + sender, ${int(online)} online, ` +
      `${args.warmupSends} warm-up + ${args.sends} measured sends one at a time, COURIER_LARGE_GROUP=${args.largeThreshold} → ` +
      `${path_ === "small" ? "small path (fan-out on write)" : "large path (one event per node: the message inline, or notify + pull)"}, ${procs} worker processes, members ${args.raw ? "raw protocol clients" : "SDK clients (--sdk)"}`,
  );
  let server: ServerHandle | undefined;
  let pool: WorkerPool | undefined;
  let sender: CourierClient | undefined;
  try {
    server = await startServer({
      inspect: args.serverProfile !== "",
      boost: args.boost,
      ...diagnosticOptions(args),
      env: {
        COURIER_LARGE_GROUP: String(args.largeThreshold),
        COURIER_MAX_GROUP_SIZE: String(Math.max(100_000, groupSize)),
      },
    });
    const url = server.url;
    report.progress(`server ${url} (pid ${server.pid})`);

    let t = Date.now();
    const users = await registerUsers(url, groupSize);
    const register = (Date.now() - t) / 1000;
    report.progress(`registered ${int(groupSize)} users in ${register.toFixed(1)} s`);
    const owner = users[0] as BenchSession;
    const members = users.slice(1);

    // Members join while online. A member connecting while already in a big group pays for the
    // server's missed-receipts query over every other member (sync.ts sendMissedReceipts ->
    // receiptsSince, O(group size) rows per connect, O(N²) for N members connecting): 66 s for
    // 4,000 members. So: the group is created with the members that stay offline, the online
    // ones connect (in no group yet) and are then added in chunks of 1,000.
    t = Date.now();
    const ids = members.map((m) => m.user.id);
    const offlineIds = ids.slice(online);
    const group = await post<GroupInfo>(
      `${url}/api/groups`,
      { name: "bench group", members: offlineIds.slice(0, chunk) },
      owner.token,
    );
    const addAll = async (list: string[]) => {
      for (let i = 0; i < list.length; i += chunk) {
        await post(
          `${url}/api/groups/${group.id}/members`,
          { users: list.slice(i, i + chunk) },
          owner.token,
        );
      }
    };
    await addAll(offlineIds.slice(chunk));
    let groupSeconds = (Date.now() - t) / 1000;

    const workers = new WorkerPool(procs, {
      boost: args.boost,
      // 9,500 clients with their message stores: past the default heap.
      execArgv: ["--max-old-space-size=12288", "--max-semi-space-size=64"],
      ...(args.workerProfile ? { profileDir: args.workerProfile } : {}),
    });
    pool = workers;
    const total = args.warmupSends + args.sends;
    const done = Array.from({ length: total }, () => ({
      workers: 0,
      first: Infinity,
      last: 0,
    }));
    const results = new Array<GroupWorkerResult | undefined>(procs).fill(undefined);
    /** Wakes the send loop once every worker has reported the message it waits for. */
    let everyoneHasIt: ((k: number) => void) | undefined;
    pool.onMessage((i, m) => {
      if (m.type === "group_done") {
        const d = done[m.k];
        if (d === undefined) return;
        d.workers++;
        d.first = Math.min(d.first, m.first);
        d.last = Math.max(d.last, m.last);
        if (d.workers === procs) everyoneHasIt?.(m.k);
      } else if (m.type === "group_result") results[i] = m.result;
    });
    const shares = split(members.slice(0, online), procs);
    shares.forEach((sessions, i) => {
      pool?.send(i, {
        type: "group",
        url,
        localAddress: WorkerPool.localAddress(i),
        driver: args.raw ? "raw" : "sdk",
        sessions,
        conv: group.id,
        sends: total,
      });
    });
    t = Date.now();
    let lastShown = 0;
    await pool.waitOnline(online, 300_000, (n) => {
      if (Date.now() - lastShown > 5000 || n === online) {
        lastShown = Date.now();
        report.progress(`${int(n)} of ${int(online)} members online`);
      }
    });
    const onlineSeconds = (Date.now() - t) / 1000;
    report.progress(`${int(online)} members online in ${onlineSeconds.toFixed(1)} s`);

    t = Date.now();
    await addAll(ids.slice(0, online));
    const check = await get<GroupInfo>(`${url}/api/groups/${group.id}`, owner.token);
    if (check.members.length !== groupSize) {
      throw new Error(`the group has ${check.members.length} members, not ${groupSize}`);
    }
    // The online members pull the "added" system messages: wait for the server to go quiet.
    const settled = await settle(server.pid, 600_000);
    groupSeconds += (Date.now() - t) / 1000;
    report.progress(
      `group ${group.id}: ${int(groupSize)} members, the online ones added while online, ` +
        `${settled ? "settled" : "NOT settled after 600 s"} in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );

    // The sender: an SDK client in this process, on 127.0.0.1 (the workers use 127.0.0.2+).
    const storage = new MemoryStorage({ maxMessagesPerConversation: 64 });
    await storage.saveSession({ token: owner.token, user: owner.user, deviceId: owner.deviceId });
    sender = new CourierClient({
      url,
      storage,
      WebSocket: leanWebSocket("127.0.0.1"),
      authTimeoutMs: 60_000,
      // As the members' clients: frames leave after the tick, not after a >= 1 ms setTimeout(0).
      scheduler: sharedImmediate(),
    });
    const acks = new Map<string, number>();
    const ackMs: number[] = [];
    const errors: Record<string, number> = {};
    sender.on("status", (m) => {
      const t0 = acks.get(m.cid);
      if (m.status === "sent" && t0 !== undefined) {
        ackMs.push(monotonicNow() - t0);
        acks.delete(m.cid);
      } else if (m.status === "failed") errors[`send_${m.error ?? "failed"}`] = 1;
    });
    sender.on("error", (e) => {
      errors[`sender_${e.code}`] = (errors[`sender_${e.code}`] ?? 0) + 1;
    });
    const senderOnline = new Promise<void>((resolve) =>
      sender?.on("state", (s) => {
        if (s === "online") resolve();
      }),
    );
    await sender.restore();
    await sender.connect();
    await Promise.race([senderOnline, sleep(30_000)]);
    await sleep(1000); // let the connect traffic settle

    const sentAt: number[] = [];
    const pad = "x".repeat(Math.max(0, args.size - 12));
    let incomplete = 0;
    /** Sends message k and waits until every worker has it (or the per-send timeout). */
    const sendOne = async (k: number, measured: boolean) => {
      const t0 = monotonicNow();
      sentAt.push(t0);
      const m = await sender?.send(
        { conv: group.id },
        { type: "text", text: `${groupTextPrefix}${k} ${pad}` },
      );
      if (measured && m) acks.set(m.cid, t0);
      // Woken by the workers' reports rather than by polling: a coordinator waking every
      // millisecond would take CPU from the server just while the message goes out.
      await new Promise<void>((resolve) => {
        if ((done[k]?.workers ?? 0) >= procs) return resolve();
        const finish = () => {
          clearTimeout(timeout);
          clearInterval(failed);
          everyoneHasIt = undefined;
          resolve();
        };
        const timeout = setTimeout(finish, perSendTimeoutMs);
        const failed = setInterval(() => workers.failure !== undefined && finish(), 100);
        everyoneHasIt = (done_) => done_ === k && finish();
      });
      if ((done[k]?.workers ?? 0) < procs) incomplete++;
      if (workers.failure !== undefined) throw new Error(workers.failure);
      const d = done[k];
      const slow = d === undefined || d.workers < procs || d.last - t0 > 2000;
      if (!args.quiet && (k % 10 === 9 || k === total - 1 || slow)) {
        report.progress(
          `sent ${k + 1}/${total}${measured ? "" : " (warm-up)"}; last: ${d && d.workers === procs ? ms(d.last - t0) : "incomplete"} to all`,
        );
      }
      await sleep(args.gap);
    };
    // Warm-up sends, not measured: the first messages run through code V8 has not optimized yet.
    for (let k = 0; k < args.warmupSends; k++) await sendOne(k, false);

    const pid = server.pid;
    const before = pid ? sampleProc(pid) : undefined;
    const threadsFrom = pid ? threadTimes(pid).cpu : {};
    let peak = before?.rss ?? 0;
    const sampler = setInterval(() => {
      if (pid) peak = Math.max(peak, sampleProc(pid).rss);
    }, 250);
    await server.inspector?.startProfile();
    const pausesFrom = await readPauses(server.url);
    const phaseFrom = Date.now();
    for (let k = args.warmupSends; k < total; k++) await sendOne(k, true);
    const phaseSeconds = (Date.now() - phaseFrom) / 1000;
    const after = pid ? sampleProc(pid) : undefined;
    const threads = pid ? threadCores(threadsFrom, threadTimes(pid).cpu, phaseSeconds) : {};
    const pausesTo = await readPauses(server.url);
    clearInterval(sampler);
    if (server.inspector) {
      const file = await saveProfile(args.serverProfile, await server.inspector.stopProfile());
      report.progress(`server CPU profile of the send phase: ${file}`);
    }

    // Late doubles would show up here: give stragglers a moment, then collect.
    await sleep(500);
    pool.broadcast({ type: "collect" });
    const until = Date.now() + 30_000;
    while (results.some((r) => r === undefined) && Date.now() < until) await sleep(50);
    if (results.some((r) => r === undefined)) throw new Error("workers did not report in time");
    const all = results as GroupWorkerResult[];

    const toSamples = (values: number[]) => {
      const a = new Uint32Array(values.length);
      values.forEach((v, i) => {
        a[i] = Math.max(0, Math.round(v * 1000));
      });
      return a;
    };
    const lastMs: number[] = [];
    const firstMs: number[] = [];
    for (let k = args.warmupSends; k < total; k++) {
      const d = done[k];
      const t0 = sentAt[k] as number;
      if (d && d.workers === procs) {
        lastMs.push(d.last - t0);
        firstMs.push(d.first - t0);
      }
    }
    const received = all.reduce((n, r) => n + r.counts.reduce((a, b) => a + b, 0), 0);
    const doubles = all.reduce((n, r) => n + r.doubles, 0);
    const membersComplete = all.reduce((n, r) => n + r.membersComplete, 0);
    for (const r of all)
      for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const foreign = all.reduce((n, r) => n + r.foreign, 0);
    if (foreign > 0) errors.foreign_messages = foreign;
    const expected = online * total;
    const serverCpu = before && after ? after.cpu - before.cpu : 0;
    const result: GroupResult = {
      bench: "group",
      path: path_,
      members: args.members,
      online,
      driver: args.raw ? "raw" : "sdk",
      largeThreshold: args.largeThreshold,
      sends: args.sends,
      procs,
      gapMs: args.gap,
      lastMs: summarize([toSamples(lastMs)]),
      firstMs: summarize([toSamples(firstMs)]),
      ackMs: summarize([toSamples(ackMs)]),
      expected,
      received,
      doubles,
      membersComplete,
      incomplete,
      ok:
        incomplete === 0 &&
        received === expected &&
        doubles === 0 &&
        membersComplete === online &&
        ackMs.length === args.sends,
      setupSeconds: { register, group: groupSeconds, online: onlineSeconds },
      server: before
        ? {
            pid,
            rssBefore: before.rss,
            rssAfter: after?.rss ?? 0,
            rssPeak: peak,
            cpuSeconds: serverCpu,
            cpuCores: serverCpu / phaseSeconds,
            cpuMsPerSend: (serverCpu / args.sends) * 1000,
            threads,
          }
        : null,
      serverPauses: pausesFrom && pausesTo ? pausesBetween(pausesFrom, pausesTo) : null,
      sendPhaseSeconds: phaseSeconds,
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      errors,
    };
    print(report, result);
    report.json(result);
    return result;
  } finally {
    sender?.disconnect();
    await pool?.stop();
    await server?.stop();
  }
}

async function request<T>(method: string, url: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

const post = <T>(url: string, body: unknown, token: string) => request<T>("POST", url, token, body);
const get = <T>(url: string, token: string) => request<T>("GET", url, token);

/** Waits until the server uses under 0.1 core over half a second (bounded); false on timeout. */
async function settle(pid: number | undefined, timeoutMs: number): Promise<boolean> {
  if (pid === undefined) return true;
  const deadline = Date.now() + timeoutMs;
  let prev = sampleProc(pid).cpu;
  while (Date.now() < deadline) {
    await sleep(500);
    const now = sampleProc(pid).cpu;
    if (now - prev < 0.05) return true;
    prev = now;
  }
  return false;
}

/**
 * Members dealt to the workers in turn. The server writes a group's members in the order they
 * joined, which here is the order of `items`: contiguous blocks would make worker 2 sit idle
 * until every one of worker 1's members had been written, serializing the generator in a way
 * no real set of independent devices is.
 */
function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: Math.min(parts, items.length) }, () => []);
  for (const [i, item] of items.entries()) out[i % out.length]?.push(item);
  return out;
}

async function saveProfile(dir: string, profile: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `server-group-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`,
  );
  await writeFile(file, JSON.stringify(profile));
  return file;
}

function print(report: Report, r: GroupResult): void {
  const line = (l: LatencySummary) =>
    `p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (${l.count} sends)`;
  report.line();
  report.line(`Result (${os.cpus().length} cores, Node ${process.versions.node})`);
  report.table([
    [
      "group",
      `${int(r.members + 1)} members (${int(r.online)} online as ${r.driver === "raw" ? "raw protocol clients" : "SDK clients"}), ${r.path === "small" ? "small path: fan-out on write" : "large path: one event per node (inline message, or notify + pull)"} (COURIER_LARGE_GROUP=${r.largeThreshold})`,
    ],
    ["to the last member", line(r.lastMs)],
    ["to the first member", line(r.firstMs)],
    ["sender's ack", line(r.ackMs)],
    [
      "server",
      r.server
        ? `RSS ${mib(r.server.rssBefore)} before, ${mib(r.server.rssAfter)} after, ${mib(r.server.rssPeak)} peak; ` +
          `CPU ${r.server.cpuSeconds.toFixed(2)} s over the ${r.sendPhaseSeconds.toFixed(1)} s send phase = ` +
          `${r.server.cpuCores.toFixed(2)} cores, ${r.server.cpuMsPerSend.toFixed(1)} ms per send`
        : "n/a",
    ],
    ["server threads", r.server ? `${cores(r.server.threads)} cores` : "n/a"],
    ["server pauses", r.serverPauses ? describePauses(r.serverPauses) : "n/a (no /metrics)"],
    [
      "setup",
      `register ${r.setupSeconds.register.toFixed(1)} s, group ${r.setupSeconds.group.toFixed(1)} s, online ${r.setupSeconds.online.toFixed(1)} s`,
    ],
    [
      "correctness",
      `${int(r.received)} of ${int(r.expected)} member×message arrivals, ${r.doubles} doubled, ` +
        `${int(r.membersComplete)} of ${int(r.online)} members got every message, ${r.incomplete} sends incomplete after 30 s`,
    ],
    ["errors", Object.keys(r.errors).length === 0 ? "none" : JSON.stringify(r.errors)],
    [
      "verdict",
      r.ok ? "OK: every online member got every message exactly once" : "FAILED: see counts above",
    ],
  ]);
}
