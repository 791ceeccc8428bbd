import { existsSync } from "node:fs";
import path from "node:path";
import express, { type Express } from "express";

/** Where `npm run build -w @courier/web` writes the web app, from this file's place in the repo. */
export const defaultWebDist = path.resolve(import.meta.dirname, "../../../../apps/web/dist");

/**
 * Serves the built web app at `/`: the files in `dist`, and `index.html` for any other page path
 * (the app routes on the client). `/api`, `/ws`, `/healthz` and `/metrics` keep their own
 * handlers and 404s. Returns false, mounting nothing, when there is no build in `dist`.
 *
 * Caching: hashed files under `/assets/` never change, so they are cached for a year; everything
 * else (index.html, sw.js, the manifest) is revalidated on every load, so a new build shows up at
 * once and the browser always sees the current service worker.
 */
export function mountWebApp(app: Express, dist: string = defaultWebDist): boolean {
  const index = path.join(dist, "index.html");
  if (!existsSync(index)) return false;
  app.use(
    express.static(dist, {
      index: ["index.html"],
      setHeaders(res, file) {
        const immutable = file.startsWith(path.join(dist, "assets") + path.sep);
        res.setHeader(
          "cache-control",
          immutable ? "public, max-age=31536000, immutable" : "no-cache",
        );
        // The service worker may control the whole origin, not just the folder it is served from.
        if (file === path.join(dist, "sw.js")) res.setHeader("service-worker-allowed", "/");
      },
    }),
  );
  app.use((req, res, next) => {
    const apiLike = /^\/(api|ws|healthz|metrics)(\/|$)/.test(req.path);
    if ((req.method !== "GET" && req.method !== "HEAD") || apiLike || !req.accepts("html")) {
      next();
      return;
    }
    res.setHeader("cache-control", "no-cache");
    res.sendFile(index);
  });
  return true;
}
