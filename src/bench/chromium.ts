/**
 * The one headless Chromium launch that the dashboard's bench group and its browser tests share: Debian's
 * `/usr/bin/chromium` driven by playwright-core with fixed flags and a fresh profile folder (its --user-data-dir).
 * playwright-core is a dev dependency, loaded only when a browser is launched.
 */
import { existsSync } from 'node:fs';
import type { BrowserContext, ViewportSize } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// no sandbox (root in containers), no GPU, and nothing that reaches beyond 127.0.0.1 on its own
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Throws the one-line fix when Debian's chromium is not installed (the tests call it before any other work). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run node scripts/ensure-system-tools.mjs (Debian: apt-get install chromium)`,
    );
}

/** Headless Chromium with its profile in `profileDir`; without `viewport`, playwright's default size. */
export async function launchChromium(profileDir: string, viewport?: ViewportSize): Promise<BrowserContext> {
  requireChromium();
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    ...(viewport ? { viewport } : {}),
  });
}
