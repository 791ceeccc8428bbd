/**
 * Groups end to end: three people in three Chromium contexts on a real Courier. Alice creates a
 * group with Bob and Carol; everyone sees messages with the sender's name; Alice's message info
 * lists the members; Alice removes Carol, who sees "You were removed" and can no longer send.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { mountWebApp } from "../../../packages/server/src/http/web.ts";
import { startCourier, type TestCourier } from "../../../packages/server/test/support/courier.ts";
import { openChat, register, screenshot, send, waitForTick } from "./app.ts";
import { launchBrowser } from "./browser.ts";

const run = process.pid.toString(36);
const groupName = `Trip ${run}`;

/** Someone else's bubble with this text, and the sender name it shows. */
const theirs = (page: Page, text: string) => page.locator(".bubble-theirs", { hasText: text });

describe("web app: groups", { timeout: 240_000 }, () => {
  let courier: TestCourier;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let alice: { context: BrowserContext; page: Page };
  let bob: { context: BrowserContext; page: Page };
  let carol: { context: BrowserContext; page: Page };

  before(async () => {
    courier = await startCourier({}, { extendHttp: (app) => void mountWebApp(app) });
    browser = await launchBrowser();
    alice = await browser.person("desktop");
    bob = await browser.person("phone");
    carol = await browser.person("desktop");
    await register(alice.page, courier.url, `galice_${run}`, "Alice Liddell");
    await register(bob.page, courier.url, `gbob_${run}`, "Bob Builder");
    await register(carol.page, courier.url, `gcarol_${run}`, "Carol Danvers");
  });

  after(async () => {
    await browser?.close();
    await courier?.stop();
  });

  it("creates a group from the people search and opens it", async () => {
    const page = alice.page;
    await page.getByRole("button", { name: "New chat" }).click();
    await page.getByRole("button", { name: "New group" }).click();
    await page.getByLabel("Group name").fill(groupName);
    for (const who of [`gbob_${run}`, `gcarol_${run}`]) {
      await page.getByPlaceholder("Add people by username").fill(who);
      await page.getByRole("button", { name: `@${who}` }).click();
    }
    await page.getByRole("list", { name: "Picked members" }).getByText("Carol Danvers").waitFor();
    await screenshot(page, "11-new-group");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("textbox", { name: "Message" }).waitFor();
    await page.locator(".chat-header h2", { hasText: groupName }).waitFor();
    await page.locator(".system-line", { hasText: "You created the group" }).waitFor();
  });

  it("delivers to every member with the sender's name on the bubble", async () => {
    await openChat(bob.page, groupName);
    await openChat(carol.page, groupName);
    await bob.page
      .locator(".system-line", { hasText: "Alice Liddell created the group" })
      .waitFor();

    await send(alice.page, "Hello group!");
    for (const p of [bob.page, carol.page]) {
      await theirs(p, "Hello group!")
        .locator(".bubble-sender", { hasText: "Alice Liddell" })
        .waitFor();
    }
    // Both others have the chat open: blue ticks once every member read it. Checked before Bob
    // writes: when the reads and Bob's message fall in one 200 ms receipt window the server skips
    // Alice (recentSenders(conv, lowestRead) counts her own read cursor, which passed her message).
    await waitForTick(alice.page, "Hello group!", "read").catch(async (error: unknown) => {
      await screenshot(alice.page, "fail-group-read-alice");
      await screenshot(bob.page, "fail-group-read-bob");
      await screenshot(carol.page, "fail-group-read-carol");
      throw error;
    });
    await send(bob.page, "Hi from Bob");
    await theirs(carol.page, "Hi from Bob")
      .locator(".bubble-sender", { hasText: "Bob Builder" })
      .waitFor();
    await theirs(alice.page, "Hi from Bob")
      .locator(".bubble-sender", { hasText: "Bob Builder" })
      .waitFor();
    await screenshot(alice.page, "12-group-chat");
    await screenshot(bob.page, "13-group-chat-phone");
  });

  it("shows per-member delivered and read times in message info", async () => {
    const page = alice.page;
    await page
      .locator(".bubble-mine", { hasText: "Hello group!" })
      .getByRole("button", { name: "Message info" })
      .click();
    const info = page.getByRole("region", { name: "Message info" });
    await info.locator("tbody tr").nth(1).waitFor();
    const rows = await info.locator("tbody th").allInnerTexts();
    assert.deepEqual([...rows].sort(), ["Bob Builder", "Carol Danvers"]);
    const cells = await info.locator("tbody td").allInnerTexts();
    assert.ok(
      cells.every((c) => c !== "—"),
      `every member delivered and read: ${cells}`,
    );
    await screenshot(page, "14-message-info");
    await page.getByRole("button", { name: "Close message info" }).click();
  });

  it("lets the admin remove a member, who can no longer send", async () => {
    const page = alice.page;
    await page.getByRole("button", { name: "Group info" }).click();
    const panel = page.getByRole("region", { name: "Group info" });
    await panel.getByText("3 members").waitFor();
    await screenshot(page, "15-group-info-admin");
    await panel.getByRole("button", { name: "Remove Carol Danvers" }).click();
    await panel.getByText("2 members").waitFor();
    await page.locator(".system-line", { hasText: "You removed Carol Danvers" }).waitFor();

    await carol.page.locator(".system-line", { hasText: "You were removed" }).waitFor();
    await carol.page.locator(".not-member", { hasText: "no longer a member" }).waitFor();
    assert.equal(await carol.page.getByRole("textbox", { name: "Message" }).count(), 0);
    await screenshot(carol.page, "16-removed-member");

    // Bob, a plain member, sees the list and roles but no admin actions.
    await bob.page.getByRole("button", { name: "Group info" }).click();
    const bobPanel = bob.page.getByRole("region", { name: "Group info" });
    await bobPanel.getByText("2 members").waitFor();
    assert.equal(await bobPanel.getByRole("button", { name: /^Remove/ }).count(), 0);
    await screenshot(bob.page, "17-group-info-member-phone");
  });
});
