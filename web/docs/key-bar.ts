/**
 * The API key field at the top of the page: paste a key to use it for this tab (or remember it on
 * this device), forget it. The key is the console's too (`web/shared/api-key.ts`).
 */
import { forgetApiKey, loadApiKey, saveApiKey } from '../shared/api-key.js';

/**
 * Shows and wires the key form.
 * @example setUpKeyBar(document.getElementById('key-bar') as HTMLFormElement);
 */
export function setUpKeyBar(form: HTMLFormElement): void {
  const input = form.querySelector<HTMLInputElement>('#api-key');
  const remember = form.querySelector<HTMLInputElement>('#key-remember');
  const state = form.querySelector<HTMLElement>('#key-state');
  const forget = form.querySelector<HTMLButtonElement>('#key-forget');
  if (input === null || remember === null || state === null || forget === null) return;
  const show = (message?: string) => {
    const key = loadApiKey();
    // Only the key's public id is shown: `cca_<id>_…`.
    const id = key === undefined ? undefined : /^cca_[0-9a-f]+_/.exec(key)?.[0];
    state.textContent =
      message ?? (key === undefined ? 'No key: routes that need one will answer 403.' : `Using ${id ?? 'a pasted key'}… for "Try it".`);
    forget.disabled = key === undefined;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') return show('Paste a key first (cca keys create prints one).');
    saveApiKey(key, remember.checked);
    input.value = '';
    show();
  });
  forget.addEventListener('click', () => {
    forgetApiKey();
    input.value = '';
    show();
  });
  form.hidden = false;
  show();
}
