import { type BrowserContext, chromium, type Page } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Debian's Chromium driven by playwright-core (Playwright cannot download its own browsers here).
 * Playwright gives every launch a fresh temporary profile; the flags keep Chromium off the
 * network it could not reach anyway. Each context is a separate person: own IndexedDB, own
 * service worker, own network switch (`setOffline`).
 */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    /** A new person: a context with its own storage, at phone or desktop size. */
    async person(size: "phone" | "desktop"): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({
        viewport: size === "phone" ? { width: 390, height: 780 } : { width: 1200, height: 760 },
        ...(size === "phone" ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
        serviceWorkers: "allow",
      });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      return { context, page };
    },
    async close() {
      await browser.close();
    },
  };
}
