/** A generator stand-in for workers.test.ts: reports the flags it was started with, then waits. */
process.send?.({ type: "flags", execArgv: process.execArgv });
process.on("message", (message: { type: string }) => {
  if (message.type === "stop") process.exit(0);
});
