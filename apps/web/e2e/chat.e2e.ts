/**
 * The web app end to end: a real Courier on an ephemeral port serving the production build, and
 * two people in two Chromium contexts (Alice at desktop width, Bob at phone width).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { CourierClient } from "../../../packages/client/src/index.ts";
import { mountWebApp } from "../../../packages/server/src/http/web.ts";
import { startCourier, type TestCourier } from "../../../packages/server/test/support/courier.ts";
import {
  messageTexts,
  openChat,
  password,
  register,
  screenshot,
  send,
  serviceWorkerReady,
  startChatWith,
  waitForTick,
} from "./app.ts";
import { launchBrowser } from "./browser.ts";

const run = process.pid.toString(36);

/** A message of theirs by its exact text ("history 6" must not match "history 60"). */
const theirText = (page: Page, text: string) =>
  page.locator(".bubble-theirs .message-text").getByText(text, { exact: true });
const aliceName = `alice_${run}`;
const bobName = `bob_${run}`;

describe("web app", { timeout: 240_000 }, () => {
  let courier: TestCourier;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let alice: { context: BrowserContext; page: Page };
  let bob: { context: BrowserContext; page: Page };

  before(async () => {
    courier = await startCourier({}, { extendHttp: (app) => void mountWebApp(app) });
    browser = await launchBrowser();
    alice = await browser.person("desktop");
    bob = await browser.person("phone");
  });

  after(async () => {
    await browser?.close();
    await courier?.stop();
  });

  it("registers two people", async () => {
    await alice.page.goto(courier.url);
    await alice.page.getByRole("button", { name: "Sign in" }).waitFor();
    await screenshot(alice.page, "01-sign-in-desktop");
    await register(alice.page, courier.url, aliceName, "Alice Liddell");
    await register(bob.page, courier.url, bobName, "Bob Builder");
    await screenshot(bob.page, "02-empty-chats-phone");
  });

  it("ticks go sent → delivered → read", async () => {
    // Bob is away, so Alice's message stops at one tick until his device has it.
    await bob.context.setOffline(true);
    await startChatWith(alice.page, bobName);
    await send(alice.page, "Hello Bob! See https://example.com/docs.");
    await waitForTick(alice.page, "Hello Bob", "sent");
    await screenshot(alice.page, "03-one-tick");

    await bob.context.setOffline(false);
    await waitForTick(alice.page, "Hello Bob", "delivered");
    // Bob's list shows the new conversation with an unread badge before he opens it.
    const row = bob.page.locator(".chat-row-button", { hasText: "Alice Liddell" });
    await row.locator(".unread-badge").waitFor();
    await screenshot(bob.page, "04-unread-badge-phone");

    await openChat(bob.page, "Alice Liddell");
    await waitForTick(alice.page, "Hello Bob", "read");
    await screenshot(alice.page, "05-read-ticks");
  });

  it("renders links safely", async () => {
    const link = bob.page.locator(".bubble-theirs a", { hasText: "https://example.com/docs" });
    assert.equal(await link.getAttribute("href"), "https://example.com/docs");
    assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  });

  it("chats the other way, with a typing indicator", async () => {
    await bob.page.getByRole("textbox", { name: "Message" }).pressSequentially("Hi Al");
    // Shown in the chat header and in the conversation list row.
    await alice.page.locator(".chat-header", { hasText: "typing…" }).waitFor();
    await alice.page.locator(".chat-row", { hasText: "typing…" }).waitFor();
    await screenshot(alice.page, "06-typing");
    await send(bob.page, "Hi Alice <b>not bold</b>");
    await alice.page.locator(".bubble-theirs", { hasText: "Hi Alice" }).waitFor();
    assert.equal(await alice.page.locator(".bubble-theirs b").count(), 0, "no HTML injection");
    // Alice has the chat open and the page visible: Bob's message is read at once.
    await waitForTick(bob.page, "Hi Alice", "read");
    await screenshot(bob.page, "07-chat-phone");
  });

  it("sends what was written offline, in order, exactly once", async () => {
    await alice.context.setOffline(true);
    await alice.page.locator('.sidebar [data-banner="offline"]').waitFor();
    const texts = ["offline one", "offline two", "offline three"];
    for (const text of texts) await send(alice.page, text);
    for (const text of texts) await waitForTick(alice.page, text, "pending");
    await screenshot(alice.page, "08-offline-outbox");

    await alice.context.setOffline(false);
    for (const text of texts) await waitForTick(alice.page, text, "read", 20_000);
    await bob.page.locator(".bubble-theirs", { hasText: "offline three" }).waitFor();
    const seen = (await messageTexts(bob.page)).filter((t) => t.startsWith("offline"));
    assert.deepEqual(seen, texts);
    // After a reload Bob's history comes from storage: still each message once, in order.
    await bob.page.reload();
    await openChat(bob.page, "Alice Liddell");
    await bob.page.locator(".bubble-theirs", { hasText: "offline three" }).waitFor();
    const reloaded = (await messageTexts(bob.page)).filter((t) => t.startsWith("offline"));
    assert.deepEqual(reloaded, texts);
  });

  it("opens with its history after a reload while offline", async () => {
    await serviceWorkerReady(alice.page);
    await alice.context.setOffline(true);
    try {
      await alice.page.reload();
      await alice.page.locator('.sidebar [data-banner="offline"]').waitFor();
      await openChat(alice.page, "Bob Builder");
      await alice.page.locator(".bubble-theirs", { hasText: "Hi Alice" }).waitFor();
      await alice.page.locator(".bubble-mine", { hasText: "offline three" }).waitFor();
      await screenshot(alice.page, "09-offline-reload");
    } finally {
      // Back online even on failure, so the later tests are not failing for this one's sake.
      await alice.context.setOffline(false);
    }
    await alice.page.locator(".sidebar [data-banner]").waitFor({ state: "detached" });
  });

  it("scrolls back through history", async () => {
    // Bob's second device (the SDK in Node) sends a long burst; Alice's browser stores it all.
    const bobPhone = new CourierClient({ url: courier.url, fetch: (u, init) => fetch(u, init) });
    try {
      await bobPhone.login({ username: bobName, password });
      const synced = bobPhone.once("synced");
      await bobPhone.connect();
      await synced;
      const aliceUser = await bobPhone.findUser(aliceName);
      assert.ok(aliceUser);
      let lastCid = "";
      const last = bobPhone.once("status", (m) => m.cid === lastCid && m.status !== "pending");
      for (let i = 1; i <= 60; i++) {
        const m = await bobPhone.send({ to: aliceUser.id }, { type: "text", text: `history ${i}` });
        lastCid = m.cid;
      }
      await last;
    } finally {
      bobPhone.disconnect();
    }
    await theirText(alice.page, "history 60").waitFor();
    // After a reload the chat opens from IndexedDB with the newest page only.
    await alice.page.reload();
    await openChat(alice.page, "Bob Builder");
    await theirText(alice.page, "history 60").waitFor();
    assert.equal(await alice.page.locator(".bubble", { hasText: "Hello Bob" }).count(), 0);
    // Scrolling to the top loads older pages by itself, so the button may already be busy
    // ("Loading…") or gone when the test gets to it: click it only while it is there, bounded.
    const oldest = alice.page.locator(".bubble", { hasText: "Hello Bob" });
    const loadOlder = alice.page.getByRole("button", { name: "Load earlier messages" });
    for (let i = 0; i < 50 && (await oldest.count()) === 0; i++) {
      if ((await loadOlder.isVisible()) && (await loadOlder.isEnabled())) {
        await loadOlder.click({ timeout: 1000 }).catch(() => {});
      }
      await alice.page.waitForTimeout(100);
    }
    await oldest.waitFor();
    const history = (await messageTexts(alice.page)).filter((t) => t.startsWith("history"));
    assert.deepEqual(
      history,
      Array.from({ length: 60 }, (_, i) => `history ${i + 1}`),
    );
    await screenshot(alice.page, "11-history-scroll-back");
  });

  it("lists devices and signs another one out", async () => {
    const second = await browser.person("desktop");
    await second.page.goto(courier.url);
    await second.page.getByLabel("Username").fill(aliceName);
    await second.page.getByLabel("Password").fill("correct horse battery");
    await second.page.getByRole("button", { name: "Sign in" }).click();
    await second.page.getByRole("button", { name: "Chats" }).waitFor();

    await alice.page.getByRole("button", { name: "Devices" }).click();
    const other = alice.page.locator(".device", { hasNotText: "This device" });
    await other.waitFor();
    await screenshot(alice.page, "10-devices");
    await other.getByRole("button", { name: "Sign out" }).click();
    // The revoked device's socket closes with 4003 and its app returns to the sign-in screen.
    await second.page.getByRole("button", { name: "Sign in" }).waitFor();
    await second.context.close();
  });
});
