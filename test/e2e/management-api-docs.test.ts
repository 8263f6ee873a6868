import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium } from '../helpers/browser.ts';
import { TestServer } from '../helpers/server.ts';

// The Management API's reference page, as an operator opens it: Swagger UI over
// /api/v2/openapi.json, served from Tessera's own files (nothing fetched from elsewhere).

describe('the Management API reference page', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await TestServer.start();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists the Management API operations from its OpenAPI document, with nothing loaded from elsewhere', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    const failed: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url)) foreign.push(request.url());
    });
    page.on('requestfailed', (request) => failed.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') failed.push(message.text());
    });
    await page.goto(`${server.url}/api/v2/docs/`);
    await page.locator('.opblock-summary-path', { hasText: '/api/v2/users' }).first().waitFor();
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, ''))).toEqual(
      expect.arrayContaining(['/api/v2/users', '/api/v2/users/{id}']),
    );
    expect(paths.some((p) => p.startsWith('/passwordless'))).toBe(false);
    expect(await page.locator('.opblock-tag').allTextContents()).toEqual(
      expect.arrayContaining(['users', 'legacy']),
    );
    expect(await page.locator('.btn.authorize').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'management-api-docs.png'), fullPage: true });
    expect(foreign).toEqual([]);
    expect(failed, failed.join('\n')).toEqual([]);
    await page.close();
  });
});
