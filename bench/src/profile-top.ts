import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * `npx node bench/src/profile-top.ts <file.cpuprofile> [top]`: the top self-time functions and
 * files of a V8 CPU profile (as written by `--server-profile` / `--worker-profile`), plus the
 * inclusive time of every function, so a hot path can be followed without opening DevTools.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) {
  console.error("usage: profile-top.ts <file.cpuprofile> [top=30]");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  total += dt;
});

const short = (url: string) => {
  if (url === "") return "(native)";
  const p = url.replace(/^file:\/\//, "");
  const nm = p.lastIndexOf("node_modules/");
  if (nm >= 0) return p.slice(nm + "node_modules/".length);
  return path.relative(process.cwd(), p);
};
const key = (n: ProfileNode) =>
  `${n.callFrame.functionName || "(anonymous)"}  ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const selfByFn = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusiveByFn = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id) as ProfileNode;
  selfByFn.set(key(node), (selfByFn.get(key(node)) ?? 0) + us);
  const f = short(node.callFrame.url) || node.callFrame.functionName;
  selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
  // Inclusive: every distinct function on the stack gets the sample once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur) as ProfileNode);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusiveByFn.set(k, (inclusiveByFn.get(k) ?? 0) + us);
  }
}

const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
show("self time by function", selfByFn, top);
show("self time by file", selfByFile, Math.min(top, 25));
show("inclusive time by function", inclusiveByFn, top);
