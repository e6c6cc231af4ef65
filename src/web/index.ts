export { defaultWebDir, loadWebAssets, serveWebAssets, type WebAsset } from './assets.js';
