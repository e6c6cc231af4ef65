/**
 * The docs page's script (`/docs`): the API key field and a working "Try it" form under each
 * operation. The reference itself is rendered by the server; this only adds the forms, which stay
 * hidden without it. Requests go to this service only, with the key in `x-api-key`.
 */
import './docs.css';
import { loadApiKey } from '../shared/api-key.js';
import { showAnswer } from './answer.js';
import { setUpKeyBar } from './key-bar.js';
import { buildRequest } from './request.js';

function setUpTry(block: HTMLElement): void {
  const form = block.querySelector<HTMLFormElement>('form.try-form');
  const out = block.querySelector<HTMLElement>('.try-result');
  const send = block.querySelector<HTMLButtonElement>('button.send');
  const stop = block.querySelector<HTMLButtonElement>('button.stop');
  const hint = block.querySelector<HTMLElement>('.try-hint');
  if (form === null || out === null || send === null || stop === null || hint === null) return;
  let running: AbortController | undefined;

  const pick = block.querySelector<HTMLSelectElement>('select.example-pick');
  const editor = block.querySelector<HTMLTextAreaElement>('textarea[data-in="body"]');
  pick?.addEventListener('change', () => {
    if (editor !== null) editor.value = pick.value;
  });

  stop.addEventListener('click', () => running?.abort());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (running !== undefined) return;
    const apiKey = loadApiKey();
    const request = buildRequest(block, form, apiKey);
    if (!request.ok) {
      hint.textContent = request.problem;
      return;
    }
    hint.textContent = block.dataset.auth === 'key' && apiKey === undefined ? 'No API key: paste one at the top of the page.' : '';
    running = new AbortController();
    send.disabled = true;
    stop.hidden = false;
    out.replaceChildren(document.createTextNode('Sending…'));
    try {
      const sent = `${request.init.method ?? 'GET'} ${request.url}`;
      await showAnswer(await fetch(request.url, { ...request.init, signal: running.signal }), out, sent);
    } catch (err) {
      const error = err as Error;
      out.textContent = error.name === 'AbortError' ? 'Stopped before an answer came.' : `The request failed: ${error.message}`;
    } finally {
      running = undefined;
      send.disabled = false;
      stop.hidden = true;
    }
  });
  block.hidden = false;
}

const keyBar = document.getElementById('key-bar');
if (keyBar instanceof HTMLFormElement) setUpKeyBar(keyBar);
for (const block of document.querySelectorAll<HTMLElement>('details.try')) setUpTry(block);
