import { describe, expect, it } from 'vitest';
import { renderErrors, renderOutput } from './api-report.js';

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
    expect(text).toContain('Stored files (300, 1 B in the first 1):');
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

  it('sums a long file list: its count and size, the first few, and the commands that list or download them all', () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ file_name: `f${i + 1}.txt`, size: 1024, download_url: `http://x/f${i + 1}` }));
    const text = renderOutput(
      {
        success: true,
        result: 'made 300',
        session_id: 'sess_1',
        invocation_id: 'inv_1',
        metadata: { uploaded_files: files, uploaded_files_total: 300, storage_prefix: 'outputs/20250601_180000_ab12cd34' },
      },
      'invoke',
      (s, i) => `http://127.0.0.1:8080/sessions/${s}/files?invocation_id=${i}&limit=1000`,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(25);
    expect(text).toContain('Stored files (300, 300.0 KiB) under outputs/20250601_180000_ab12cd34:\n  f1.txt ');
    expect(lines.filter((l) => /^ {2}f\d+\.txt /.test(l))).toHaveLength(10);
    expect(text).toContain('  f10.txt    1.0 KiB  http://x/f10\n  ... and 290 more.\n');
    expect(text).toContain(
      `List them all (1000 a page, next_cursor for the next): curl -s 'http://127.0.0.1:8080/sessions/sess_1/files?invocation_id=inv_1&limit=1000' -H "x-api-key: $CCA_API_KEY"`,
    );
    expect(text).toContain("Download them all (from the service's data dir or bucket): cca download 20250601_180000_ab12cd34");
  });

  it("prints a failed run's result only when no error repeats it (stderr gets the errors)", () => {
    const failed = { success: false, stop_reason: 'error', result: 'API Error: boom', errors: ['server_error: API Error: boom'] };
    expect(renderOutput(failed)).toMatch(/^Failed \(error\)\.\n/);
    expect(renderErrors(failed)).toBe('cca: run error: server_error: API Error: boom\n');
    const other = { ...failed, result: 'I stopped halfway.' };
    expect(renderOutput(other)).toMatch(/^I stopped halfway\.\n\nFailed \(error\)\.\n/);
  });

  it('writes counts of one in the singular', () => {
    const text = renderOutput({
      success: true,
      session_state: {
        generation: 2,
        restored: { generation: 1, fetched_files: 1, duration_ms: 5 },
        saved: { generation: 2, uploaded_files: 1, duration_ms: 5 },
      },
    });
    expect(text).toContain('generation 2 (1 file uploaded, 5 ms), restored from generation 1 first (1 file fetched)');
  });
});
