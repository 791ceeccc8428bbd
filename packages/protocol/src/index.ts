export * from "./content.ts";
export * from "./errors.ts";
export * from "./frames.client.ts";
export type * from "./frames.server.ts";
export * from "./groups.ts";
export * from "./ids.ts";
export * from "./limits.ts";
export * from "./push.ts";
export * from "./rest.ts";
