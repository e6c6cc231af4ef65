/**
 * The API key a person pasted, shared by the console and the docs page. It lives in
 * sessionStorage: gone when the tab closes, never in a URL, never sent anywhere but this origin's
 * API in an `x-api-key` header. "Remember on this device" moves it to localStorage instead.
 */
const NAME = 'cca.api_key';

/** The stored key, or undefined. */
export function loadApiKey(): string | undefined {
  return sessionStorage.getItem(NAME) ?? localStorage.getItem(NAME) ?? undefined;
}

/** Stores `key` for this tab, or on this device when `remember` is set. */
export function saveApiKey(key: string, remember = false): void {
  forgetApiKey();
  (remember ? localStorage : sessionStorage).setItem(NAME, key.trim());
}

/** Forgets the key everywhere it was kept. */
export function forgetApiKey(): void {
  sessionStorage.removeItem(NAME);
  localStorage.removeItem(NAME);
}
