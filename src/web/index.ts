export { defaultWebDir, loadWebAssets, serveWebAssets, type WebAsset } from './assets.js';
export { CONSOLE_CSP, PAGE_HEADERS, serveConsole } from './console-page.js';
