/**
 * The shapes of what the API returns and streams, as zod schemas: the one source of their types,
 * their validation in tests and their OpenAPI components. Imports nothing but zod, so every
 * domain folder may depend on it.
 */
export * from './responses.js';
export * from './changes.js';
export * from './control.js';
export * from './events.js';
export * from './uploads.js';
export * from './webhooks.js';
export * from './usage.js';
