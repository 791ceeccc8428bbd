import { MemoryBus } from "../src/routing/bus.memory.ts";
import { runBusContract } from "./bus.contract.ts";

runBusContract("memory", async () => {
  // One process is one node: both "nodes" are the same bus.
  const bus = new MemoryBus();
  return { a: bus, b: bus, close: () => bus.close() };
});
