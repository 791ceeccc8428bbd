import { rawDriver } from "./driver.raw.ts";
import { sdkDriver } from "./driver.sdk.ts";
import type { Driver } from "./driver.ts";
import type { FromWorker, GroupFromWorker, ToWorker } from "./ipc.ts";
import { GroupLoad } from "./load.group.ts";
import { IdleLoad } from "./load.idle.ts";
import { MessagingLoad } from "./load.messaging.ts";

/**
 * A generator worker process (forked by the coordinator): holds its share of the clients on its
 * own 127.0.0.x source address, runs the load it is told to, reports over IPC, exits on `stop`.
 */
function post(message: FromWorker | GroupFromWorker): void {
  process.send?.(message);
}

let load: MessagingLoad | IdleLoad | GroupLoad | undefined;

function driverFor(kind: "sdk" | "raw", url: string, localAddress: string, window: number): Driver {
  return kind === "raw"
    ? rawDriver({ url, localAddress })
    : sdkDriver({ url, localAddress }, { sendWindow: Math.max(32, window) });
}

process.on("message", (message: ToWorker) => {
  try {
    switch (message.type) {
      case "messaging": {
        const driver = driverFor(message.driver, message.url, message.localAddress, message.window);
        load = new MessagingLoad(driver, message, post);
        break;
      }
      case "idle": {
        const driver = driverFor(message.driver, message.url, message.localAddress, 1);
        load = new IdleLoad(driver, message.sessions, post);
        break;
      }
      case "group":
        load = new GroupLoad(message, post);
        break;
      case "collect":
        if (load instanceof GroupLoad) post({ type: "group_result", result: load.result() });
        break;
      case "start":
        if (load instanceof MessagingLoad) load.start(message);
        break;
      case "stop":
        load?.close();
        // Give the close frames a moment to leave, then go.
        setTimeout(() => process.exit(0), 200);
        break;
    }
  } catch (err) {
    post({ type: "failed", message: String((err as Error).stack ?? err) });
  }
});

// The coordinator going away (crash, Ctrl-C) must not leave workers behind.
process.on("disconnect", () => process.exit(0));
