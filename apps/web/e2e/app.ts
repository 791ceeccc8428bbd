import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";

/** Actions a person takes in the web app, in the words of the UI (labels, roles, text). */

export const artifacts = path.resolve(import.meta.dirname, "../../../test-artifacts");
await mkdir(artifacts, { recursive: true });

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

export const password = "correct horse battery";

export async function register(page: Page, url: string, username: string, displayName: string) {
  await page.goto(url);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Display name").fill(displayName);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: "Chats" }).waitFor();
}

export async function startChatWith(page: Page, username: string) {
  await page.getByRole("button", { name: "New chat" }).click();
  await page.getByPlaceholder("Search by username").fill(username);
  await page.getByRole("button", { name: `@${username}` }).click();
  await page.getByRole("textbox", { name: "Message" }).waitFor();
}

export async function openChat(page: Page, displayName: string) {
  await page.getByRole("button", { name: "Chats" }).click();
  await page.locator(".chat-row-button", { hasText: displayName }).click();
  await page.getByRole("textbox", { name: "Message" }).waitFor();
}

export async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** The tick of my message with this text, once it equals `tick`. */
export async function waitForTick(page: Page, text: string, tick: string, timeout = 15_000) {
  await page
    .locator(".bubble-mine", { hasText: text })
    .locator(`[data-tick="${tick}"]`)
    .waitFor({ timeout });
}

/** The texts of the open chat's messages, in display order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.locator(".bubble .message-text").allInnerTexts();
}

/** Resolves once a service worker controls the page (the shell is cached for offline loads). */
export async function serviceWorkerReady(page: Page) {
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    return navigator.serviceWorker.controller !== null;
  });
}
