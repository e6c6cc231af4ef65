/**
 * The docs page in a real browser (Debian's Chromium) against a real `cca serve` with the scripted
 * model: the reference fits the window at 1280 and 375 px, and its "Try it" forms send real
 * requests with the pasted key, show JSON, a run's result, a 400's message and a live event stream,
 * all under the page's strict Content-Security-Policy. Screenshots: test-output/screenshots/docs/.
 */
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir, watchProblems } from '../support/browser.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const responder = scenarios({
  // Two turns: write a file, then answer.
  'docs-two-turn': [
    { content: [toolUse('Write', { file_path: 'hello.txt', content: 'hello from the docs page\n' })] },
    { content: [text('Wrote hello.txt for you.')] },
  ],
  // A run that waits on the model until it is cancelled.
  'docs-hang': [{ hang: true }],
});

describe('the docs page in a browser', () => {
  let svc: TestService;
  let browser: Browser;
  let key: string;
  const shots = screenshotDir('docs');

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve', responder });
    key = svc.runtime.keys.create('docs-page', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 }).key;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  /** The page's width never exceeds the window: nothing scrolls the page sideways. */
  async function expectNoSidewaysScroll(page: Page): Promise<void> {
    // A string, evaluated in the page: the tests' TypeScript has no DOM types.
    const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    expect(scroll, 'page scroll width').toBeLessThanOrEqual(client);
  }

  /** Opens the try-it of `operationId` and returns it. */
  async function openTry(page: Page, operationId: string): Promise<Locator> {
    const block = page.locator(`#try-${operationId}`);
    await block.locator('summary').click();
    return block;
  }

  /** Presses Send and waits for the answer's status; returns it and the body as shown. */
  async function send(block: Locator): Promise<{ status: string; body: string }> {
    await block.locator('button.send').click();
    await block.locator('.try-result .status').waitFor({ timeout: 90_000 });
    await block.locator('button.send:not([disabled])').waitFor({ timeout: 90_000 });
    return {
      status: (await block.locator('.try-result .status').textContent()) ?? '',
      body: (await block.locator('.try-result .answer-body').textContent()) ?? '',
    };
  }

  const save = (target: Page | Locator, name: string) => target.screenshot({ path: path.join(shots, `${name}.png`) });

  it('fits 1280 px, and its forms send real requests with the pasted key', { timeout: 240_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    const res = await page.goto(`${svc.url}/docs`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    // The script ran (under the policy): it showed the key field and the forms.
    await page.locator('#key-bar').waitFor();
    expect(await page.locator('details.try:visible').count()).toBe(await page.locator('section.op').count());
    await expectNoSidewaysScroll(page);
    await save(page, '01-top-1280');
    await page.locator('#op-invoke').evaluate((section) => section.scrollIntoView());
    await save(page, '01b-invoke-reference-1280');
    await page.locator('#schema-InvocationOutput').evaluate((section) => section.scrollIntoView());
    await save(page, '01c-schema-1280');
    await page.evaluate('window.scrollTo(0, 0)');

    await page.locator('#api-key').fill(key);
    await page.locator('#key-bar button[type=submit]').click();
    expect(await page.locator('#key-state').textContent()).toContain(key.slice(0, 17));
    expect(await page.locator('#api-key').inputValue()).toBe('');
    expect(await page.evaluate('sessionStorage.getItem("cca.api_key")')).toBe(key);
    expect(page.url()).not.toContain(key);
    await save(page.locator('#key-bar'), '02-key-pasted');

    const health = await openTry(page, 'health');
    const healthAnswer = await send(health);
    expect(healthAnswer.status).toBe('200');
    expect(JSON.parse(healthAnswer.body)).toMatchObject({ status: 'ok' });
    // Pretty-printed, with the headers that matter.
    expect(healthAnswer.body).toContain('\n  "status": "ok"');
    expect(await health.locator('.answer-headers').textContent()).toContain('content-typeapplication/json');
    expect(await health.locator('.answer-line code').textContent()).toBe('GET /health');
    await save(health, '03-health');

    const sessions = await openTry(page, 'listSessions');
    const empty = await send(sessions);
    expect(empty.status).toBe('200');
    expect(JSON.parse(empty.body)).toEqual({ sessions: [], next_cursor: null });

    // A two-turn run through POST /invoke: the result and the stored file come back.
    const invoke = await openTry(page, 'invoke');
    expect(JSON.parse(await invoke.locator('textarea').inputValue())).toMatchObject({ prompt: 'Create a REST API for user management' });
    await invoke
      .locator('textarea')
      .fill(JSON.stringify({ prompt: '[[scenario:docs-two-turn]] Write hello.txt', model: 'claude-haiku-4-5' }, null, 2));
    const run = await send(invoke);
    expect(run.status).toBe('200');
    const output = JSON.parse(run.body).output;
    expect(output).toMatchObject({ success: true, result: 'Wrote hello.txt for you.', metadata: { num_turns: 2 } });
    expect(output.metadata.uploaded_files).toEqual([expect.objectContaining({ file_name: 'hello.txt' })]);
    await expectNoSidewaysScroll(page);
    await save(invoke, '04-invoke-result');

    // The list now holds the session.
    const listed = await send(sessions);
    expect(JSON.parse(listed.body).sessions).toEqual([expect.objectContaining({ session_id: output.session_id, status: 'succeeded' })]);
    await save(sessions, '05-sessions');

    // Files into that session: two multipart parts, under a folder given as a query parameter.
    const upload = await openTry(page, 'uploadSessionFiles');
    await upload.locator('input[name=session_id]').fill(output.session_id);
    await upload.locator('input[name=path]').fill('notes/');
    await upload.locator('input[type=file]').setInputFiles([
      { name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('first\n') },
      { name: 'b.md', mimeType: 'text/markdown', buffer: Buffer.from('# second\n') },
    ]);
    const uploaded = await send(upload);
    expect(uploaded.status).toBe('201');
    expect(await upload.locator('.answer-line code').textContent()).toBe(`POST /sessions/${output.session_id}/files?path=notes%2F`);
    expect(JSON.parse(uploaded.body)).toMatchObject({
      file_count: 2,
      files: [
        { path: 'notes/a.txt', size: 6 },
        { path: 'notes/b.md', size: 9 },
      ],
    });
    await save(upload, '05b-upload');

    // A bad body: the service's 400 and its message, shown as it came.
    await invoke.locator('textarea').fill('{"prompt": "x", "max_turns": "many"}');
    const bad = await send(invoke);
    expect(bad.status).toBe('400');
    expect(JSON.parse(bad.body).message).toMatch(/max_turns/);
    await save(invoke, '06-bad-body-400');

    // The same route as an event stream: each event as it arrives, the last one the output.
    await invoke.locator('select[name=accept]').selectOption('text/event-stream');
    await invoke.locator('textarea').fill(JSON.stringify({ prompt: '[[scenario:docs-two-turn]] Write hello.txt again' }));
    await invoke.locator('button.send').click();
    await invoke.locator('.events li[data-event="invocation.completed"]').waitFor({ timeout: 90_000 });
    await invoke.locator('button.send:not([disabled])').waitFor();
    expect(await invoke.locator('.try-result .status').textContent()).toBe('200');
    const names = await invoke.locator('.events .ev-name').allTextContents();
    expect(names).toContain('assistant.text');
    expect(names.at(-1)).toBe('invocation.completed');
    expect(await invoke.locator('.events li[data-event="invocation.completed"] pre').textContent()).toContain(
      '"result": "Wrote hello.txt for you."',
    );
    expect(await invoke.locator('.answer-line .note').textContent()).toContain('the stream ended');
    await expectNoSidewaysScroll(page);
    await save(invoke, '07-invoke-event-stream');

    // A run that waits: started async (a header parameter), followed live, stopped, cancelled.
    await invoke.locator('select[name=accept]').selectOption('application/json');
    await invoke.locator('input[name=Prefer]').fill('respond-async');
    await invoke.locator('textarea').fill(JSON.stringify({ prompt: '[[scenario:docs-hang]] Think forever' }));
    const accepted = await send(invoke);
    expect(accepted.status).toBe('202');
    const waiting = JSON.parse(accepted.body).session_id as string;
    const events = await openTry(page, 'streamSessionEvents');
    await events.locator('input[name=session_id]').fill(waiting);
    await events.locator('button.send').click();
    await events.locator('.events li[data-event="invocation.started"]').waitFor({ timeout: 60_000 });
    expect(await events.locator('button.stop').isVisible()).toBe(true);
    expect(await events.locator('.answer-line .note').textContent()).toContain('streaming');
    await save(events, '08-events-live');
    await events.locator('button.stop').click();
    await events.locator('button.stop').waitFor({ state: 'hidden' });
    expect(await events.locator('.answer-line .note').textContent()).toContain('stopped');
    await save(events, '09-events-stopped');
    const cancel = await openTry(page, 'cancelSession');
    await cancel.locator('input[name=session_id]').fill(waiting);
    expect((await send(cancel)).status).toBe('202');

    // A required path parameter left empty is caught before sending.
    const detail = await openTry(page, 'getSession');
    await detail.locator('button.send').click();
    expect(await detail.locator('.try-hint').textContent()).toBe('Fill in session_id (path).');
    expect(await detail.locator('.try-result').textContent()).toBe('');

    // Chromium logs the bad body's 400 (an answer the test asked for) as a failed resource; nothing else.
    expect(problems).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.close();
  });

  it('fits 375 px, forms and answers included', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
    const problems = watchProblems(page);
    await page.goto(`${svc.url}/docs`);
    await page.evaluate(`sessionStorage.setItem('cca.api_key', ${JSON.stringify(key)})`);
    await page.reload();
    await page.locator('#key-bar').waitFor();
    await expectNoSidewaysScroll(page);
    await save(page, '10-top-375');
    const files = await openTry(page, 'listSessionFiles');
    // A session of its own with a stored file (the test stands alone).
    const run = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '[[scenario:docs-two-turn]] Write hello.txt on a phone' }),
    });
    const { output } = (await run.json()) as { output: { session_id: string } };
    await files.locator('input[name=session_id]').fill(output.session_id);
    const answer = await send(files);
    expect(answer.status).toBe('200');
    expect(answer.body).toContain('"file_name": "hello.txt"');
    await expectNoSidewaysScroll(page);
    await save(files, '11-files-375');
    await page.locator('#op-invoke').evaluate((section) => section.scrollIntoView());
    await save(page, '12-invoke-375');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads well with scripts off: the reference, styled, without forms that could not work', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${svc.url}/docs`);
    expect(await page.locator('details.try:visible').count()).toBe(0);
    expect(await page.locator('#key-bar').isVisible()).toBe(false);
    expect(await page.locator('#op-invoke h3').isVisible()).toBe(true);
    // The stylesheet applied (the sidebar is a fixed-width column).
    expect(await page.locator('nav').evaluate((n) => n.getBoundingClientRect().width)).toBe(270);
    await expectNoSidewaysScroll(page);
    await save(page, '13-no-script-1280');
    await context.close();
  });
});
