/**
 * The console's pure parts (web/console/safe-href.ts, batch.ts): which links from API data become
 * an href, and how streamed events reach the screen in batches.
 */
import { describe, expect, it } from 'vitest';
import { batcher } from '../../web/console/batch.js';
import { safeHref } from '../../web/console/safe-href.js';

const BASE = 'https://cca.example/console?x=1';

describe('safeHref', () => {
  it('resolves a relative download link against the page', () => {
    expect(safeHref('/files/k1?expires=9&sig=ab', BASE)).toBe('https://cca.example/files/k1?expires=9&sig=ab');
    expect(safeHref('files/k1', 'http://127.0.0.1:8080/console')).toBe('http://127.0.0.1:8080/files/k1');
  });

  it('keeps an absolute http or https link (a presigned S3 URL)', () => {
    expect(safeHref('https://bucket.s3.amazonaws.com/k?X-Amz-Signature=1', BASE)).toBe(
      'https://bucket.s3.amazonaws.com/k?X-Amz-Signature=1',
    );
    expect(safeHref('HTTP://Other.example/a', BASE)).toBe('http://other.example/a');
  });

  it.each([
    ['javascript:alert(1)'],
    [' javascript:alert(document.cookie)'],
    ['JaVaScRiPt:alert(1)'],
    ['java\tscript:alert(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['vbscript:msgbox(1)'],
    ['file:///etc/passwd'],
    ['blob:https://cca.example/1234'],
    ['ftp://cca.example/x'],
    ['http://[::1'],
  ])('refuses %j', (u) => {
    expect(safeHref(u, BASE)).toBeUndefined();
  });

  it.each([[''], ['   '], [undefined], [null], [42], [{ href: 'https://x' }]])('has no link for %j (never the console itself)', (u) => {
    expect(safeHref(u, BASE)).toBeUndefined();
  });
});

describe('batcher', () => {
  /** A scheduler the test runs by hand, counting what is scheduled and cancelled. */
  const manual = () => {
    const queued: (() => void)[] = [];
    let cancelled = 0;
    return {
      queued,
      cancelled: () => cancelled,
      schedule: (run: () => void) => {
        queued.push(run);
        return () => {
          cancelled += 1;
        };
      },
    };
  };

  it('hands everything pushed before a tick over in one flush, in order', () => {
    const s = manual();
    const flushed: number[][] = [];
    const b = batcher<number>((xs) => flushed.push(xs), s.schedule);
    for (let i = 0; i < 1000; i++) b.push(i);
    expect(s.queued).toHaveLength(1);
    expect(flushed).toEqual([]);
    s.queued[0]!();
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    b.push(1000);
    expect(s.queued).toHaveLength(2);
    s.queued[1]!();
    expect(flushed).toEqual([flushed[0], [1000]]);
  });

  it('flushNow hands over at once, cancels the tick, and does nothing when empty', () => {
    const s = manual();
    const flushed: string[][] = [];
    const b = batcher<string>((xs) => flushed.push(xs), s.schedule);
    b.flushNow();
    expect(flushed).toEqual([]);
    b.push('a');
    b.push('b');
    b.flushNow();
    expect(flushed).toEqual([['a', 'b']]);
    expect(s.cancelled()).toBe(1);
    b.push('c');
    expect(s.queued).toHaveLength(2);
  });

  it('cancel drops what is buffered', () => {
    const s = manual();
    const flushed: string[][] = [];
    const b = batcher<string>((xs) => flushed.push(xs), s.schedule);
    b.push('a');
    b.cancel();
    b.flushNow();
    expect(flushed).toEqual([]);
    expect(s.cancelled()).toBe(1);
  });
});
