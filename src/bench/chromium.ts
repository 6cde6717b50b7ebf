/**
 * The one headless Chromium launch that the dashboard's bench group and its browser tests share: Debian's
 * `/usr/bin/chromium` driven by playwright-core with fixed flags and a fresh profile folder (its --user-data-dir).
 * playwright-core is a dev dependency, loaded only when a browser is launched.
 */
import { existsSync } from 'node:fs';
import type { BrowserContext, ViewportSize } from 'playwright-core';
import { guardCleanup } from './cleanup.ts';

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

/**
 * Headless Chromium with its profile in `profileDir`; without `viewport`, playwright's default size. `signals: false`
 * leaves SIGINT/SIGTERM to the caller (playwright's own handlers close the browser but, on SIGTERM, do not exit).
 */
export async function launchChromium(
  profileDir: string,
  viewport?: ViewportSize,
  signals = true,
): Promise<BrowserContext> {
  requireChromium();
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    handleSIGINT: signals,
    handleSIGTERM: signals,
    handleSIGHUP: signals,
    ...(viewport ? { viewport } : {}),
  });
}

/**
 * Chromium for a bench group, closed on release or when the bench is stopped (src/bench/cleanup.ts): guarded before
 * it is launched, so a signal during the launch closes it once it is up. Before, a SIGTERM left it to playwright,
 * which closed it and let the bench run on; a SIGINT exited before the group's temp folders were removed.
 */
export async function launchGuardedChromium(
  profileDir: string,
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const launching = launchChromium(profileDir, undefined, false);
  const close = guardCleanup(async () => {
    const context = await launching.catch(() => undefined);
    await context?.close();
  });
  try {
    return { context: await launching, close };
  } catch (e) {
    await close();
    throw e;
  }
}
