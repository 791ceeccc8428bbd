import { CourierClient } from "@courier/client";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { openChatsFromNotifications } from "./push/open-chat.ts";
import { ControllerProvider } from "./state/context.tsx";
import { AppController } from "./state/controller.ts";
import { createStore } from "./state/store.ts";
import { initialState } from "./state/types.ts";
import { IndexedDbStorage } from "./storage/indexeddb.ts";
import "./styles.css";

// The app talks to the server that served it: same origin for REST and the WebSocket.
const client = new CourierClient({ url: location.origin, storage: new IndexedDbStorage() });
const store = createStore({ ...initialState, networkUp: navigator.onLine });
const controller = new AppController(store, client, () => document.visibilityState === "visible");

window.addEventListener("online", () => controller.setNetwork(true));
window.addEventListener("offline", () => controller.setNetwork(false));
document.addEventListener("visibilitychange", () => controller.visibilityChanged());
if (!navigator.onLine) client.setNetworkAvailable(false);

controller.boot().catch((error: unknown) => {
  console.error("boot failed", error);
  store.set({ phase: "signed-out" });
});
openChatsFromNotifications(controller);

// The service worker keeps the app shell for offline starts; the build id in its URL makes every
// new build install afresh and drop the previous build's cache.
if ("serviceWorker" in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register(`/sw.js?build=${__COURIER_BUILD__}`).catch((error: unknown) => {
    console.warn("service worker registration failed", error);
  });
}

const root = document.getElementById("root");
if (root === null) throw new Error("#root missing from index.html");
createRoot(root).render(
  <StrictMode>
    <ControllerProvider controller={controller}>
      <App />
    </ControllerProvider>
  </StrictMode>,
);
