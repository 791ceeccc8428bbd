export { type Courier, type CourierOptions, createCourier } from "./app.ts";
export { type Config, configFromEnv } from "./config.ts";
