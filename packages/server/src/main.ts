// First: V8 settings that must hold before anything else allocates (see v8-flags.ts).
import "./v8-flags.ts";
import { createCourier } from "./app.ts";
import { configFromEnv } from "./config.ts";
import { mountWebApp } from "./http/web.ts";
import { setupPush } from "./push/index.ts";

/** `npm start`: one Courier node configured from the environment, stopped cleanly by SIGINT/SIGTERM. */
const config = configFromEnv();
const push = await setupPush(config);
const courier = await createCourier(config, {
  onStored: push.onStored,
  // The web app's production build at `/` when there is one (`npm start` builds it first).
  extendHttp: (app, parts) => {
    push.extendHttp(app, parts);
    mountWebApp(app, process.env.COURIER_WEB_DIR || undefined);
  },
});
console.log(`Courier is running at ${courier.url.replace("127.0.0.1", "localhost")}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    courier
      .close()
      .then(() => push.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          courier.log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  });
}
