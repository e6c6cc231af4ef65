/** The web console served at `/`: bundled with its style into /assets/console/ (scripts/build-web.mjs). */
import { render } from 'preact';
import { App } from './App.js';
import './main.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
