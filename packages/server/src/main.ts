import { createCourier } from "./app.ts";
import { configFromEnv } from "./config.ts";

/** `npm start`: one Courier node configured from the environment, stopped cleanly by SIGINT/SIGTERM. */
const courier = await createCourier(configFromEnv());
console.log(`Courier is running at ${courier.url.replace("127.0.0.1", "localhost")}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    courier.close().then(
      () => process.exit(0),
      (err: unknown) => {
        courier.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
