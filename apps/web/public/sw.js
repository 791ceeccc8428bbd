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
 * - push / notificationclick: show one grouped notification per chat; a click opens that chat.
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

// --- push ----------------------------------------------------------------------------------
// A push is only a wake-up: the payload (decrypted by the browser) says who wrote in which chat
// and how many messages it stands for; the messages themselves arrive through sync when the app
// opens. The payload's shape is `PushPayload` in packages/protocol/src/push.ts.

self.addEventListener("push", (event) => {
  event.waitUntil(showPush(event.data));
});

/**
 * One notification per chat (`tag`): a new push for a chat replaces the one already showing and
 * adds up the counts, so ten messages in a chat read "10 new messages", not ten notifications.
 */
async function showPush(data) {
  let payload;
  try {
    payload = data?.json();
  } catch {
    payload = undefined;
  }
  // Chrome shows a generic notice if a push shows nothing, so even a garbled push shows one.
  if (payload?.v !== 1) payload = { count: 1, title: "Courier", body: "New message" };
  const tag = payload.conv ? `chat:${payload.conv}` : "courier";
  const showing = await self.registration.getNotifications({ tag });
  const before = showing.reduce((sum, n) => sum + (n.data?.count ?? 0), 0);
  const count = before + (payload.count ?? 1);
  let body = payload.body;
  if (count > (payload.count ?? 1)) {
    body = payload.preview ? `${count} new messages · ${payload.preview}` : `${count} new messages`;
  }
  await self.registration.showNotification(payload.title, {
    body,
    tag,
    renotify: true,
    icon: "/icon.svg",
    badge: "/icon.svg",
    data: { conv: payload.conv ?? null, count },
  });
}

/** Opens the chat: focuses a Courier window (asking it to open the chat) or opens a new one. */
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const conv = event.notification.data?.conv ?? null;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const existing = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (existing) {
        await existing.focus();
        if (conv) existing.postMessage({ type: "courier:open-chat", conv });
        return;
      }
      await self.clients.openWindow(conv ? `/?chat=${encodeURIComponent(conv)}` : "/");
    })(),
  );
});
