/** Session events: the contract, the mapping from SDK messages, the log, live delivery and SSE. */
export {
  EVENT_TEXT_LIMIT,
  EVENT_TYPES,
  EventPayloads,
  SessionEventSchema,
  type EventType,
  type EventPayload,
  type SessionEvent,
} from '../schemas/events.js';
export { fileStoredEvent } from './file-stored.js';
export { eventsFromSdkMessage, newUsageState, type EventDraft, type UsageState } from './from-sdk.js';
export { summarizeToolInput, SUMMARY_LIMIT } from './summarize.js';
export { truncate } from './truncate.js';
export { EventStore, EVENT_PAGE_LIMIT, type EventRecord } from './store.js';
export { EventBus, type EventBusOptions, type EventListener } from './bus.js';
export { SessionEvents, type StreamOptions } from './session-events.js';
export { formatSse } from './sse.js';
