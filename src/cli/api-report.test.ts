import { describe, expect, it } from 'vitest';
import { renderOutput } from './api-report.js';

describe('renderOutput', () => {
  it('counts capped file lists by their totals and says how many are shown', () => {
    const text = renderOutput({
      success: true,
      result: 'ok',
      metadata: {
        uploaded_files: [{ file_name: 'a.txt', size: 1, download_url: 'http://x/a' }],
        uploaded_files_total: 300,
        skipped_files: [{ path: 'b.txt', reason: 'too_many_files' }],
        skipped_files_total: 4700,
      },
    });
    expect(text).toContain('Stored files (300, first 1 shown):');
    expect(text).toContain('Skipped files (4700, first 1 shown):');
  });

  it('keeps the plain count when nothing was left out', () => {
    const text = renderOutput({
      success: true,
      result: 'ok',
      metadata: { uploaded_files: [{ file_name: 'a.txt' }], uploaded_files_total: 1 },
    });
    expect(text).toContain('Stored files (1):');
  });
});
