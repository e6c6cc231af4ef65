/**
 * The web console in a real browser (Debian's Chromium) against the real service in serve mode,
 * with the real Claude Code and the scripted model: a person's path through it, from pasting the
 * key to reopening a session after a reload. Each state is saved under
 * test-output/screenshots/console/ for review.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipText } from '../support/archives.js';
import { haveChromium, launchBrowser, screenshotDir, shot, watchProblems } from '../support/browser.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const HELLO = 'print("hello from the console")\n';
const NOTES = 'uploaded from the browser\n';

/** The last turn of `write` waits for the test: the page must show the tool call while the run is live. */
let releaseWrite: () => void = () => undefined;
let writeGate = new Promise<void>((resolve) => (releaseWrite = resolve));

/** Files one run stores: each `file.stored` event once made the console reload the session (one request each). */
const MANY = 60;
/** The last turn of `blip` waits until the test has broken the event stream. */
let releaseBlip: () => void = () => undefined;
const blipGate = new Promise<void>((resolve) => (releaseBlip = resolve));

let svc: TestService;
let browser: Browser;
let page: Page;
let key: string;
let problems: string[];
const shots = screenshotDir('console');

beforeAll(async () => {
  svc = await startTestService({
    mode: 'serve',
    responder: scenarios({
      write: [
        { content: [text('Writing the script.'), toolUse('Write', { file_path: 'hello.py', content: HELLO })] },
        async () => {
          await writeGate;
          return { content: [text('Created hello.py.')] };
        },
      ] as never,
      approve: [
        { content: [toolUse('Bash', { command: 'cat notes.txt && echo approved > approved.txt', description: 'Write a note' })] },
        { content: [text('The note is written.')] },
      ],
      slow: [{ content: [toolUse('Bash', { command: 'echo step', description: 'A first step' })] }, { hang: true }],
      many: [
        { content: [toolUse('Bash', { command: `for i in $(seq 1 ${MANY}); do echo $i > f$i.txt; done`, description: 'Many files' })] },
        { content: [text(`Made ${MANY} files.`)] },
      ],
      blip: [
        { content: [toolUse('Bash', { command: 'echo before the blip', description: 'Before the blip' })] },
        async () => {
          await blipGate;
          return { content: [text('After the blip.')] };
        },
      ] as never,
    }),
  });
  key = svc.runtime.keys.create('console').key; // default limits: 10 requests/s, burst 20
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  problems = watchProblems(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

/** Drops the browser's own log lines for refusals a step provoked on purpose. */
function expectRefusals(status: number): void {
  const own = `the server responded with a status of ${status}`;
  problems.splice(0, problems.length, ...problems.filter((p) => !p.includes(own)));
}

async function noHorizontalOverflow(): Promise<void> {
  const { scroll, client } = await page.evaluate(() => {
    const root = (globalThis as any).document.documentElement;
    return { scroll: root.scrollWidth as number, client: root.clientWidth as number };
  });
  expect(scroll).toBeLessThanOrEqual(client);
}

async function submit(prompt: string): Promise<void> {
  await page.fill('#prompt', prompt);
  await page.press('#prompt', 'Control+Enter');
}

describe.skipIf(!haveChromium())('web console', () => {
  it('serves the page under its policy and asks for a key; a wrong key is refused with a clear message', async () => {
    const res = await page.goto(svc.url + '/');
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('dialog.key-dialog[open]');
    await shot(page, shots, '01-key-dialog');
    await page.fill('#api-key', 'cca_not-a-real-key');
    await page.click('button:has-text("Use this key")');
    await page.waitForSelector('.sessions .error');
    expect(await page.textContent('.sessions .error')).toMatch(/refused this key \(403 Forbidden\)/);
    expectRefusals(403);
    await shot(page, shots, '02-wrong-key');
  });

  it('runs a task: the tool call shows while the run is live, then the stored file and the result with cost and tokens', async () => {
    await page.click('button:has-text("API key")');
    await page.click('button:has-text("Forget key")');
    await page.fill('#api-key', key);
    await page.click('button:has-text("Use this key")');
    await page.waitForSelector('.sessions >> text=No sessions yet.');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('cca.api_key'))).toBe(key);
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('cca.api_key'))).toBeNull();
    expect(page.url()).not.toContain(key);
    await shot(page, shots, '03-ready');

    await submit('[[scenario:write]] Write hello.py');
    await page.waitForSelector('.ev-tool >> text=Write');
    expect(await page.isVisible('.live')).toBe(true);
    expect(await page.isVisible('.ev-result')).toBe(false);
    await shot(page, shots, '04-running');
    releaseWrite();
    await page.waitForSelector('.ev-result.ok');
    await page.waitForSelector('.ev-file >> text=hello.py');
    const stats = await page.textContent('.ev-result .stats');
    expect(stats).toMatch(/Cost\$\d/);
    expect(stats).toMatch(/Tokens\d+ in \/ \d+ out/);
    expect(stats).toMatch(/Turns2/);
    expect(await page.textContent('.ev-result .result-text')).toBe('Created hello.py.');
    await page.waitForSelector('.files-panel >> text=hello.py');
    await shot(page, shots, '05-done');
  });

  it('downloads the stored file and the whole session as a zip, byte for byte', async () => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('.files-panel a:has-text("hello.py")')]);
    expect(file.suggestedFilename()).toBe('hello.py');
    expect(await fs.readFile((await file.path())!, 'utf8')).toBe(HELLO);
    const [zip] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Download all (.zip)")')]);
    const sessionId = (await page.textContent('.session-id code'))!;
    expect(zip.suggestedFilename()).toBe(`${sessionId}.zip`);
    expect(await unzipText(await fs.readFile((await zip.path())!))).toEqual({ 'hello.py': HELLO });
  });

  it("continues the session with a new prompt, and shows the API's own message for a field it refuses", async () => {
    await page.click('.options summary');
    await page.fill('label:has-text("Max turns") input', '-1');
    await submit('Say goodbye');
    await page.waitForSelector('.banner.error');
    expect(await page.textContent('.banner.error')).toBe('The API refused the task: max_turns must be a positive integer.');
    expectRefusals(400);
    await shot(page, shots, '06-refused-field');
    await page.fill('label:has-text("Max turns") input', '');
    await submit('Say goodbye');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.ev-result').length === 2);
    expect(await page.$$eval('.ev-queued .prompt', (els) => els.map((e) => e.textContent))).toEqual([
      '[[scenario:write]] Write hello.py',
      'Say goodbye',
    ]);
  });

  it('manual mode with a file: the file is uploaded first, the tool use waits for Allow, then runs', async () => {
    await page.click('.sessions button:has-text("New")');
    await page.selectOption('label:has-text("Permission mode") select', 'manual');
    await page.setInputFiles('input[type=file]', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(NOTES) });
    await submit('[[scenario:approve]] Write a note');
    await page.waitForSelector('.ev-permission.pending button:has-text("Allow")');
    await page.waitForSelector('.sessions .current >> text=running');
    expect(await page.textContent('.ev-permission pre')).toContain('cat notes.txt && echo approved > approved.txt');
    await shot(page, shots, '07-permission');
    await page.click('.ev-permission button:has-text("Allow")');
    await page.waitForSelector('.decision.allow >> text=Allowed (api)');
    await page.waitForSelector('.ev-result.ok');
    await page.waitForSelector('.files-panel >> text=approved.txt');
    // The file chosen in the form was uploaded into the new session before the run read it.
    expect(await page.textContent('.ev-tool')).toContain(NOTES.trim());
    expect(await page.textContent('.session-id code')).toMatch(/^web-[0-9a-f]{32}$/);
    await shot(page, shots, '08-approved');
  });

  it('cancels a run that hangs', async () => {
    await page.click('.sessions button:has-text("New")');
    await page.selectOption('label:has-text("Permission mode") select', 'acceptAll');
    await submit('[[scenario:slow]] Take your time');
    await page.waitForSelector('.ev-tool summary >> text=echo step');
    await page.waitForSelector('.ev-tool .state >> text=✓');
    await shot(page, shots, '09-slow-running');
    await page.click('.run-head button:has-text("Cancel")');
    await page.waitForSelector('.ev-result .tag >> text=cancelled');
    await page.waitForSelector('.live', { state: 'detached' });
    await shot(page, shots, '10-cancelled');
  });

  it('reopens the open session after a reload (the key stays in the tab), and another from the list', async () => {
    const cancelled = (await page.textContent('.session-id code'))!;
    await page.reload();
    await page.waitForSelector('.ev-result .tag >> text=cancelled');
    expect(await page.textContent('.session-id code')).toBe(cancelled);
    // The list shows each session's latest prompt: the first session was continued with this one.
    await page.click('.sessions button.session:has-text("Say goodbye")');
    await page.waitForSelector('.ev-file >> text=hello.py');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.ev-result').length === 2);
    expect(await page.textContent('.files-panel')).toContain('hello.py');
    await noHorizontalOverflow();
    await shot(page, shots, '11-reopened-1440');
  });

  it(`a run storing ${MANY} files loads the session's detail once at its end, not per file; reopening it, twice`, async () => {
    const details: string[] = [];
    const statuses: number[] = [];
    const isDetail = (url: string) => /^\/sessions\/[^/]+$/.test(new URL(url).pathname);
    page.on('request', (r) => void (isDetail(r.url()) && details.push(r.url())));
    page.on('response', (r) => void statuses.push(r.status()));
    const allListed = `document.querySelectorAll('.files-panel .file-list li').length === ${MANY}`;

    await page.click('.sessions button:has-text("New")');
    await submit('[[scenario:many]] Make many files');
    await page.waitForSelector('.ev-result.ok');
    await page.waitForFunction(allListed);
    await page.waitForSelector('.live', { state: 'detached' }); // the follower has stopped: no request can follow
    expect(details.length, `GET /sessions/{id} during the run: ${details.length}`).toBeLessThanOrEqual(4);
    expect(details.length).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('.files-panel .file-total')).toMatch(new RegExp(`^${MANY} files, `));
    expect(await page.$$eval('.ev-file', (els) => els.length)).toBe(MANY);
    await shot(page, shots, '12-many-files');

    details.length = 0;
    await page.reload();
    await page.waitForSelector('.ev-result.ok');
    await page.waitForFunction(allListed);
    await page.waitForSelector('.live', { state: 'detached' });
    expect(details.length, `GET /sessions/{id} on reopening: ${details.length}`).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(await page.isVisible('.banner.error')).toBe(false);
    // The links are the detail's (freshly signed) and download the file.
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('.files-panel a:has-text("f7.txt")')]);
    expect(await fs.readFile((await file.path())!, 'utf8')).toBe('7\n');
  });

  it('reconnects a broken event stream after the last event it saw, and shows the rest of the run', async () => {
    // A proxy in front of the service: dropping its connections is a network blip for the page.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(new URL(svc.url).port), '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      const streams: string[] = [];
      other.on('request', (r) => void (r.url().includes('/events?') && streams.push(new URL(r.url()).search)));
      await other.goto(`http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/`);
      await other.fill('#api-key', key);
      await other.click('button:has-text("Use this key")');
      await other.fill('#prompt', '[[scenario:blip]] Survive a blip');
      await other.press('#prompt', 'Control+Enter');
      await other.waitForSelector('.ev-tool .state >> text=✓');
      expect(streams).toEqual(['?after=0']);
      const seen = Number(await other.$$eval('.events > li', (els) => els.length));

      const reopened = other.waitForRequest((r) => /\/events\?after=[1-9]/.test(r.url()));
      for (const s of sockets) s.destroy();
      await reopened;
      releaseBlip();
      await other.waitForSelector('.ev-result.ok >> text=After the blip.');
      await other.waitForSelector('.live', { state: 'detached' });
      // Each event once: the reconnect asked for what followed the last one shown.
      const ids = streams.map((q) => Number(new URLSearchParams(q).get('after')));
      expect(ids[1]).toBeGreaterThan(0);
      expect(await other.$$eval('.ev-tool', (els) => els.length)).toBe(1);
      expect(Number(await other.$$eval('.events > li', (els) => els.length))).toBeGreaterThan(seen);
      expect(await other.isVisible('.banner.error')).toBe(false);
      await shot(other, shots, '13-reconnected');
    } finally {
      await other.close();
      await new Promise((resolve) => proxy.close(resolve));
      for (const s of sockets) s.destroy();
    }
  });

  it('fits a phone (375 px) and a wide screen (1440 px) without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await noHorizontalOverflow();
    await shot(page, shots, '14-phone');
    await page.click('button:has-text("API key")');
    await noHorizontalOverflow();
    await shot(page, shots, '15-phone-key-dialog');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog.key-dialog[open]', { state: 'detached' });
    await page.setViewportSize({ width: 1440, height: 900 });
    await noHorizontalOverflow();
  });

  it('ran without console errors or policy violations', () => {
    expect(problems).toEqual([]);
  });
});
