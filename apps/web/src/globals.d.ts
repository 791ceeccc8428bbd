/** Set by vite.config.ts at build time: names the build, so its service worker installs afresh. */
declare const __COURIER_BUILD__: string;
