import { setFlagsFromString } from "node:v8";

/**
 * V8 settings for a server process, applied before any other module runs (main.ts imports this
 * first). V8 consults this flag each time a GC digests its pretenuring feedback, so setting it
 * at run time takes effect; the test shows it.
 *
 * No allocation-site pretenuring. V8 watches which allocation sites make objects that survive a
 * scavenge, and from then on allocates that site's objects straight in the old generation. A
 * burst (the connect storm after a restart, the JIT's first seconds under load) makes the
 * message path's own sites look long-lived: nine of them were pretenured in the messaging
 * benchmark. Their objects then die in the old generation, where only a full GC frees them, and
 * until it runs every young object they point to is kept alive by the scavenger (nepotism) and
 * promoted in turn. At 6,000 msgs/s that was 7 MB promoted and 15 ms of pause per scavenge,
 * twice a second; without pretenuring it is 1.5 MB and 6 ms (docs/performance.md, session 8).
 * A messenger's per-message objects live for milliseconds; what lives long here is small.
 */
setFlagsFromString("--no-allocation-site-pretenuring");
