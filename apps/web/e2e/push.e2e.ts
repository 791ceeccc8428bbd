/**
 * Push notifications in the browser: the service worker registers, the settings toggle asks for
 * permission, subscribes with the server's VAPID key and stores the subscription on the server;
 * a message to the absent user comes back as an encrypted Web Push, and the service worker shows
 * it as one notification per chat with the count.
 *
 * What headless Chromium here cannot do, and how this file works around it:
 * - `pushManager.subscribe` never yields a real subscription. In Playwright's contexts (which are
 *   off-the-record profiles) Chromium rejects it at once with "AbortError: Registration failed -
 *   permission denied", even with notifications granted; in a persistent profile permission is
 *   "granted" but the call never settles, because Chromium must first register with its vendor's
 *   push service (FCM), which this machine cannot reach. So the page's `subscribe` is replaced by
 *   one that returns a subscription for keys this test made, pointing at a loopback push service
 *   (WebPushReceiver) that verifies the VAPID signature and decrypts the payload.
 * - That push service cannot reach the browser, so the decrypted payload is handed to the service
 *   worker with the DevTools protocol's `ServiceWorker.deliverPushMessage`: the same `push` event
 *   a real delivery fires.
 * - A click on a notification cannot be simulated headless, so `notificationclick` is not covered.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerFrame, UserInfo } from "@courier/protocol";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { mountWebApp } from "../../../packages/server/src/http/web.ts";
import {
  metric,
  type PushCourier,
  startPushCourier,
} from "../../../packages/server/test/push/support/push-courier.ts";
import { WebPushReceiver } from "../../../packages/server/test/push/support/webpush-receiver.ts";
import { api, register as registerApi } from "../../../packages/server/test/support/accounts.ts";
import { RawSocket } from "../../../packages/server/test/support/raw-socket.ts";
import { register, screenshot, serviceWorkerReady } from "./app.ts";
import { launchBrowser } from "./browser.ts";

const run = process.pid.toString(36);
const carolName = `carol_${run}`;

interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { conv: string | null; count: number };
}

describe("web push in the browser", { timeout: 120_000 }, () => {
  let courier: PushCourier;
  let receiver: WebPushReceiver;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let carol: { context: BrowserContext; page: Page };
  let pushTarget: { cdp: CDPSession; registrationId: string } | undefined;

  before(async () => {
    receiver = await WebPushReceiver.start();
    courier = await startPushCourier({ COURIER_PUSH_COALESCE_MS: "100" }, {}, (app) => {
      mountWebApp(app);
    });
    receiver.expectServerKey(courier.push.vapidPublicKey);
    browser = await launchBrowser();
    carol = await browser.person("desktop");
    await carol.context.grantPermissions(["notifications"], { origin: courier.url });
    await carol.context.addInitScript(stubPushManager, receiver.subscription("carol"));
  });

  after(async () => {
    await browser?.close();
    await courier?.stop();
    await receiver?.close();
  });

  it("registers the service worker that handles pushes", async () => {
    await register(carol.page, courier.url, carolName, "Carol Danvers");
    await serviceWorkerReady(carol.page);
    const script = await carol.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
    assert.match(script ?? "", /\/sw\.js\?build=/);
  });

  it("the settings toggle subscribes with the server's key and stores the subscription", async () => {
    await carol.page.getByRole("button", { name: "Devices" }).click();
    const toggle = carol.page.getByRole("checkbox", { name: "Notify me on this device" });
    await toggle.waitFor();
    await carol.page.waitForFunction(
      () => document.querySelector<HTMLInputElement>(".notification-row input")?.disabled === false,
    );
    assert.equal(await toggle.isChecked(), false);
    await toggle.click();
    // Checked only once the server's settings say this device has a web subscription.
    await carol.page.waitForFunction(
      () => document.querySelector<HTMLInputElement>(".notification-row input")?.checked === true,
    );
    const usedKey = await carol.page.evaluate(
      () => (window as unknown as { __pushKey: string }).__pushKey,
    );
    assert.equal(usedKey, courier.push.vapidPublicKey);
    const privacy = carol.page.getByRole("combobox", { name: "Show in notifications" });
    await privacy.selectOption("sender");
    await carol.page.waitForFunction(
      () =>
        document.querySelector<HTMLSelectElement>(".notification-row select")?.disabled === false,
    );
    await privacy.selectOption("full");
    await carol.page.waitForFunction(
      () =>
        document.querySelector<HTMLSelectElement>(".notification-row select")?.disabled === false,
    );
    assert.equal(await privacy.inputValue(), "full");
    await screenshot(carol.page, "20-notification-settings");
  });

  it("a message to the absent user is pushed, decrypted and shown grouped per chat", async () => {
    // Carol goes away: her socket closes, so the server must wake her with a push.
    await carol.context.setOffline(true);
    await until(async () => (await metric(courier.url, "courier_connections")) === 0);
    const dave = await registerApi(courier.url);
    const carolUser = (await api(courier.url, dave.token, "GET", `/api/users/by-name/${carolName}`))
      .body as UserInfo;
    const socket = await RawSocket.authed(courier.url, dave.token);
    const sendText = async (cid: string, text: string) => {
      socket.sendJson({ t: "send", cid, to: carolUser.id, content: { type: "text", text } });
      return socket.waitFor(
        (f): f is Extract<ServerFrame, { t: "sent" }> => f.t === "sent" && f.cid === cid,
      );
    };
    const sent = await sendText("p1", "Lunch at noon?");
    const [first] = await receiver.waitFor("carol", 1);
    assert.equal(first?.payload.title, dave.user.displayName);
    assert.equal(first?.payload.body, "Lunch at noon?");
    await deliver(JSON.stringify(first?.payload));
    let shown = await notifications();
    assert.deepEqual(shown, [
      {
        title: dave.user.displayName,
        body: "Lunch at noon?",
        tag: `chat:${sent.conv}`,
        data: { conv: sent.conv, count: 1 },
      },
    ]);

    socket.sendJson([
      { t: "send", cid: "p2", to: carolUser.id, content: { type: "text", text: "Or one?" } },
      { t: "send", cid: "p3", to: carolUser.id, content: { type: "text", text: "Say when" } },
    ]);
    const second = (await receiver.waitFor("carol", 2))[1];
    assert.equal(second?.payload.count, 2, "the two were coalesced on the server");
    await deliver(JSON.stringify(second?.payload));
    shown = await notifications();
    assert.equal(shown.length, 1, "one notification per chat");
    assert.equal(shown[0]?.body, "3 new messages · Say when");
    assert.equal(shown[0]?.data.count, 3);
    assert.deepEqual(receiver.errors, []);
    socket.close();
    await carol.context.setOffline(false);
  });

  /**
   * Fires the service worker's `push` event with these bytes, as a push service delivery would.
   * DevTools can drop a delivery that races the worker's activation (seen about once in five full
   * runs): then nothing at all changes, so it is delivered once more. A delivery that did arrive
   * always changes the notification for its chat, so a second one never doubles a count.
   */
  async function deliver(data: string) {
    await carol.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.active?.state;
    });
    const tag = `chat:${(JSON.parse(data) as { conv?: string }).conv ?? ""}`;
    const before = await shownFor(tag);
    for (let attempt = 0; attempt < 2; attempt++) {
      pushTarget ??= await serviceWorkerTarget();
      await pushTarget.cdp.send("ServiceWorker.deliverPushMessage", {
        origin: courier.url,
        registrationId: pushTarget.registrationId,
        data,
      });
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if ((await shownFor(tag)) !== before) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      pushTarget = undefined; // look the registration up afresh before trying again
    }
  }

  /** The data of the notification showing for `tag`, as JSON ("" when none). */
  async function shownFor(tag: string): Promise<string> {
    return carol.page.evaluate(async (t) => {
      const registration = await navigator.serviceWorker.ready;
      const [shown] = await registration.getNotifications({ tag: t });
      return shown ? JSON.stringify([shown.body, shown.data]) : "";
    }, tag);
  }

  /** A DevTools session that knows the id of the app's service worker registration. */
  async function serviceWorkerTarget() {
    const cdp = await carol.context.newCDPSession(carol.page);
    const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted?: boolean }> =
      [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) =>
      registrations.push(...e.registrations),
    );
    await cdp.send("ServiceWorker.enable");
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = registrations
        .filter((r) => r.scopeURL.startsWith(courier.url) && !r.isDeleted)
        .at(-1);
      if (found) return { cdp, registrationId: found.registrationId };
      if (Date.now() > deadline) throw new Error("no service worker registration reported");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * The notifications the service worker is showing, once they settled. Bounded at 10 s: on a
   * loaded machine the worker can take seconds to wake for a push.
   */
  async function notifications(): Promise<Shown[]> {
    let previous = "";
    for (let i = 0; i < 200; i++) {
      const shown = await carol.page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications()).map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          data: n.data as { conv: string | null; count: number },
        }));
      });
      const now = JSON.stringify(shown);
      if (shown.length > 0 && now === previous) return shown;
      previous = now;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`notifications did not settle: ${previous}`);
  }
});

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs in the page before the app: `pushManager.subscribe` returns a subscription for the test's
 * keys (see the header comment for why the real one cannot work here) and remembers the server
 * key the app passed in, so the test can check it.
 */
function stubPushManager(subscription: {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}) {
  let current: PushSubscription | null = null;
  const toBase64Url = (buffer: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  PushManager.prototype.subscribe = async function subscribe(
    options?: PushSubscriptionOptionsInit,
  ) {
    const key = options?.applicationServerKey as Uint8Array;
    (window as unknown as { __pushKey: string }).__pushKey = toBase64Url(
      key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) as ArrayBuffer,
    );
    current = {
      endpoint: subscription.endpoint,
      expirationTime: null,
      options: { applicationServerKey: key.buffer as ArrayBuffer, userVisibleOnly: true },
      toJSON: () => subscription,
      unsubscribe: async () => {
        current = null;
        return true;
      },
      getKey: () => null,
    } as unknown as PushSubscription;
    return current;
  };
  PushManager.prototype.getSubscription = async () => current;
}
