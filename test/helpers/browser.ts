import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Screenshots land here (kept by CI as artifacts, ignored by git). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

const CHROMIUM = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

/**
 * Debian's Chromium, headless, with the flags this sandbox needs; never a downloaded browser. Its
 * contexts are Incognito-like profiles, which block third-party cookies, as Chrome's Incognito does.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch(CHROMIUM);
}

/**
 * The same Chromium with an ordinary (not Incognito) profile in a temporary directory, its
 * "Allow third-party cookies" setting on: cookies then reach frames of another site, as they do
 * for a user who chose that setting. (This Chromium blocks them by default, even outside Incognito.)
 */
export async function launchChromiumAllowingThirdPartyCookies(
  options: { ignoreHTTPSErrors?: boolean } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  mkdirSync(join(profile, 'Default'));
  const preferences = { profile: { cookie_controls_mode: 0, block_third_party_cookies: false } };
  writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify(preferences));
  const context = await chromium.launchPersistentContext(profile, { ...CHROMIUM, ...options });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  };
  return { context, close };
}

/** A stand-in application: its callback page shows what it received. */
export async function startCallbackApp(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Callback</title><h1>Signed in</h1><pre id="query">${escapeHtml(req.url ?? '')}</pre>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
