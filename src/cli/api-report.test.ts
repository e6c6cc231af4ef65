import { describe, expect, it } from 'vitest';
import { renderOutput } from './api-report.js';

describe('renderOutput', () => {
  it('says where the session stands in the session store: saved, restored first, or not saved', () => {
    const saved = renderOutput({
      success: true,
      session_state: {
        generation: 4,
        restored: { generation: 3, fetched_files: 10, duration_ms: 120 },
        saved: { generation: 4, uploaded_files: 2, duration_ms: 80 },
      },
    });
    expect(saved).toContain('saved:    generation 4 (2 files uploaded, 80 ms), restored from generation 3 first (10 files fetched)');
    const not = renderOutput({ success: true, session_state: { generation: null, restored: null, saved: null } });
    expect(not).toContain('saved:    not saved');
    expect(renderOutput({ success: true })).not.toContain('saved:');
  });

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
