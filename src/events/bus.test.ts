import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';
import type { SessionEvent } from '../schemas/events.js';

let nextId = 1;
const event = (sessionId: string, text = 'x'): SessionEvent => ({
  id: nextId++,
  session_id: sessionId,
  invocation_id: 'i',
  at: '2025-01-01T00:00:00.000Z',
  type: 'assistant.text',
  data: { text },
});

describe('EventBus', () => {
  it('delivers to the listeners of the event session only', () => {
    const bus = new EventBus();
    const a: string[] = [];
    const b: string[] = [];
    bus.subscribe('a', (e) => a.push((e.data as { text: string }).text));
    bus.subscribe('b', (e) => b.push((e.data as { text: string }).text));
    bus.publish(event('a', 'one'));
    bus.publish(event('b', 'two'));
    bus.publish(event('a', 'three'));
    expect(a).toEqual(['one', 'three']);
    expect(b).toEqual(['two']);
  });

  it('keeps delivering to the others when a listener throws, and reports the error', () => {
    const errors: unknown[] = [];
    const bus = new EventBus({ onListenerError: (error) => errors.push(error) });
    const got: number[] = [];
    bus.subscribe('a', () => {
      throw new Error('broken client');
    });
    bus.subscribe('a', (e) => got.push(e.id));
    const sent = event('a');
    expect(() => bus.publish(sent)).not.toThrow();
    expect(got).toEqual([sent.id]);
    expect(errors).toEqual([new Error('broken client')]);
  });

  it('stops delivering after unsubscribe and forgets empty sessions', () => {
    const bus = new EventBus();
    const got: number[] = [];
    const listener = (e: SessionEvent) => got.push(e.id);
    const stopFirst = bus.subscribe('a', listener);
    const stopSecond = bus.subscribe('a', listener);
    const first = event('a');
    bus.publish(first);
    stopFirst();
    stopFirst();
    const second = event('a');
    bus.publish(second);
    expect(got).toEqual([first.id, first.id, second.id]);
    expect(bus.listenerCount('a')).toBe(1);
    stopSecond();
    expect(bus.listenerCount('a')).toBe(0);
    bus.publish(event('a'));
    expect(got).toHaveLength(3);
  });
});
