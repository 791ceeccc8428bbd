import type { AppController } from "../state/controller.ts";

/**
 * A click on a notification opens its chat: the service worker either posts
 * `courier:open-chat` to a window it focused, or opens a new one at `/?chat=<id>`.
 */
export function openChatsFromNotifications(controller: AppController): void {
  navigator.serviceWorker?.addEventListener("message", (event: MessageEvent) => {
    const data = event.data as { type?: string; conv?: string } | null;
    if (data?.type === "courier:open-chat" && data.conv) open(controller, data.conv);
  });
  const params = new URLSearchParams(location.search);
  const conv = params.get("chat");
  if (!conv) return;
  params.delete("chat");
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}`);
  open(controller, conv);
}

/** Opens the chat once signed in (at a cold start the session is still being restored). */
function open(controller: AppController, conv: string): void {
  const go = () => {
    controller.showPanel("chats");
    controller.openChat(conv).catch(() => {});
  };
  if (controller.store.get().phase === "signed-in") {
    go();
    return;
  }
  const stop = controller.store.subscribe(() => {
    const phase = controller.store.get().phase;
    if (phase === "booting") return;
    stop();
    if (phase === "signed-in") go();
  });
}
