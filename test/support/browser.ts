/**
 * Headless Chromium from Debian (`apt-get install -y chromium`), driven by playwright-core: the
 * browser downloads of Playwright and Puppeteer do not work here. Screenshots go under
 * `test-output/screenshots/<suite>/` so a person can look at each state after the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian puts Chromium; CCA_CHROMIUM overrides. */
export const CHROMIUM_PATH = process.env.CCA_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the system Chromium is installed (`.ci/run` installs it). */
export function haveChromium(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

/**
 * Starts headless Chromium with no background traffic: this machine's network is closed, and
 * Chromium's update, sync and component checks would only fail, many at a time.
 * @example const browser = await launchBrowser(); const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', // CI runs as root, where Chromium's own sandbox cannot start
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A folder for one suite's screenshots, emptied first so old pictures never pass for new ones.
 * @example const shots = screenshotDir('console'); await shot(page, shots, '01-empty');
 */
export function screenshotDir(suite: string): string {
  const dir = path.resolve('test-output', 'screenshots', suite);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a full-page screenshot of `page` as `<dir>/<name>.png` and returns its path. */
export async function shot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Collects what the page printed as an error and every Content-Security-Policy violation, so a
 * test can assert the page ran clean under its policy.
 * @example const problems = watchProblems(page); ...; expect(problems).toEqual([]);
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}
