/**
 * Courier's service worker: keeps the app shell so the app opens with no network. Messages and
 * conversations never pass through here: they live in IndexedDB (the SDK's storage adapter), and
 * `/api` and `/ws` always go to the network.
 *
 * - install: precache the page, the built assets (`/asset-manifest.json`, written by the build)
 *   and the icons, under a cache named for this build (`?build=` in this script's URL);
 * - activate: delete the caches of earlier builds and take over open pages at once;
 * - fetch: page navigations go to the network first (a fresh index.html when online) and fall back
 *   to the cached shell; other same-origin GETs are served from the cache, then the network.
 *
 * Push notifications will be handled here too (`push` and `notificationclick` listeners, below).
 */
const build = new URL(self.location.href).searchParams.get("build") ?? "dev";
const cacheName = `courier-shell-${build}`;
const shell = ["/", "/manifest.webmanifest", "/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(cacheName);
      const assets = await fetch("/asset-manifest.json", { cache: "no-store" })
        .then((r) => (r.ok ? r.json() : []))
        .catch(() => []);
      await cache.addAll([...shell, ...assets.map((file) => `/${file}`)]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("courier-shell-") && name !== cacheName) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/ws") return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirstShell(request));
    return;
  }
  event.respondWith(cacheFirst(request));
});

/** A fresh page when the network answers (and kept for next time), the cached shell otherwise. */
async function networkFirstShell(request) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put("/", response.clone());
    return response;
  } catch {
    return (await cache.match("/")) ?? Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

// --- push (to come) ------------------------------------------------------------------------
// self.addEventListener("push", ...) and self.addEventListener("notificationclick", ...) go here.
