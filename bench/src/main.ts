import { parseBenchArgs } from "./args.ts";
import { runGroup } from "./group.ts";
import { runIdle } from "./idle.ts";
import { runMessaging } from "./messaging.ts";

/**
 * `npm run bench -- [scenario] [flags]`: the load generator. See `--help` and docs/performance.md.
 * Exit code: 0 when the run completed and its correctness checks passed, 1 otherwise.
 */
async function main(argv: string[]): Promise<number> {
  // Cluster mode (PostgreSQL + NATS, N nodes) lives in cluster.ts, kept by the cluster engineer.
  if (argv.includes("--cluster")) return (await import("./cluster.ts")).runCluster(argv);
  const args = parseBenchArgs(argv);
  if (args === undefined) return argv.includes("--help") || argv.includes("-h") ? 0 : 2;
  switch (args.scenario) {
    case "messaging":
      return (await runMessaging(args)).ok ? 0 : 1;
    case "idle":
      await runIdle(args);
      return 0;
    case "store":
      return runStore(args.rest);
    case "group":
      return (await runGroup(args)).ok ? 0 : 1;
  }
}

/** The store benchmark lives in bench/src/store.ts (the store's owner keeps it); load it if present. */
async function runStore(rest: string[]): Promise<number> {
  const specifier = new URL("./store.ts", import.meta.url).href;
  let mod: { runStoreBench?: (args: string[]) => unknown };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (err) {
    if (
      (err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" &&
      String(err).includes("store.ts")
    ) {
      console.error(
        "the store benchmark is not there yet: bench/src/store.ts (runStoreBench) has not landed",
      );
      return 2;
    }
    throw err;
  }
  if (typeof mod.runStoreBench !== "function") {
    console.error("bench/src/store.ts does not export runStoreBench(args)");
    return 2;
  }
  const outcome = await mod.runStoreBench(rest);
  return typeof outcome === "number" ? outcome : 0;
}

// Ctrl-C / kill: exit through process.exit so the 'exit' hooks stop the server this bench started.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
