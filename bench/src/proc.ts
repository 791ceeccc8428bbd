import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** A process's resource use as Linux reports it in /proc. */
export interface ProcSample {
  /** Resident set size, bytes. */
  rss: number;
  /** User + system CPU time, seconds. */
  cpu: number;
  /** The part of `cpu` spent in the kernel (system calls, and the TCP work they carry), seconds. */
  system: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) and the system part of them, from a process's or thread's `stat`. */
function cpuTimes(stat: string): { cpu: number; system: number } {
  // The command name (field 2) may contain spaces: fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const system = Number(fields[12]) / clockTicks();
  return { cpu: Number(fields[11]) / clockTicks() + system, system };
}

/** Reads /proc/<pid>/stat (utime + stime) and /proc/<pid>/status (VmRSS). */
export function sampleProc(pid: number): ProcSample {
  const { cpu, system } = cpuTimes(readFileSync(`/proc/${pid}/stat`, "utf8"));
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rss: rssKb * 1024, cpu, system };
}

/** Sums /proc samples of several processes (the generator's workers). */
export function sampleProcs(pids: number[]): ProcSample {
  const sum: ProcSample = { rss: 0, cpu: 0, system: 0 };
  for (const pid of pids) {
    try {
      const s = sampleProc(pid);
      sum.rss += s.rss;
      sum.cpu += s.cpu;
      sum.system += s.system;
    } catch {
      // a worker that already exited contributes nothing
    }
  }
  return sum;
}

/** CPU seconds the whole machine has been busy (all cores, from /proc/stat), to see other load. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / clockTicks();
}

/**
 * Per thread name of a process (MainThread, the store's WorkerThread, V8Worker GC helpers, ...):
 * seconds on a CPU, and seconds runnable but waiting for one (the run-queue delay of
 * /proc/<pid>/task/<tid>/schedstat). On two cores shared with the generator the wait is where
 * a busy machine's latency comes from: a commit that waits for a CPU holds up every message in
 * it. `waited` is empty where the kernel keeps no schedstat. `system` is the part of `cpu` spent
 * in the kernel: on loopback a socket write also carries the receiving side's TCP work.
 */
export interface ThreadTimes {
  cpu: Record<string, number>;
  system: Record<string, number>;
  waited: Record<string, number>;
}

export function threadTimes(pid: number): ThreadTimes {
  const times: ThreadTimes = { cpu: {}, system: {}, waited: {} };
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tasks) {
    const dir = `/proc/${pid}/task/${tid}`;
    try {
      const stat = readFileSync(`${dir}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const { cpu, system } = cpuTimes(stat);
      times.cpu[name] = (times.cpu[name] ?? 0) + cpu;
      times.system[name] = (times.system[name] ?? 0) + system;
      const waited = runQueueSeconds(readFileSync(`${dir}/schedstat`, "utf8"));
      if (waited !== undefined) times.waited[name] = (times.waited[name] ?? 0) + waited;
    } catch {
      // the thread ended meanwhile, or has no schedstat
    }
  }
  return times;
}

/** The run-queue delay from a schedstat line (`<on cpu ns> <waiting ns> <timeslices>`), seconds. */
export function runQueueSeconds(schedstat: string): number | undefined {
  const waitedNs = Number(schedstat.trim().split(/\s+/)[1]);
  return Number.isFinite(waitedNs) ? waitedNs / 1e9 : undefined;
}

/** Seconds the threads of several processes (the generator's workers) waited for a CPU. */
export function runQueueWait(pids: number[]): number {
  let waited = 0;
  for (const pid of pids) {
    for (const seconds of Object.values(threadTimes(pid).waited)) waited += seconds;
  }
  return waited;
}

/** `after - before`, per thread name, in cores over `seconds`. */
export function threadCores(
  before: Record<string, number>,
  after: Record<string, number>,
  seconds: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, cpu] of Object.entries(after)) {
    const cores = (cpu - (before[name] ?? 0)) / seconds;
    if (cores >= 0.005) out[name] = Math.round(cores * 100) / 100;
  }
  return out;
}
