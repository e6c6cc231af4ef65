export { defaultWebDir, loadWebAssets, serveWebAssets, type WebAsset } from './assets.js';
export { serveConsole } from './console-page.js';
