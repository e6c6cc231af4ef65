import { describe, expect, it } from 'vitest';
import { EventPayloads } from '../schemas/events.js';
import { fileStoredEvent } from './file-stored.js';

describe('fileStoredEvent', () => {
  it('copies the four fields of the event and nothing else of the file', () => {
    const file = {
      file_name: 'out/report.md',
      size: 12,
      key: 'outputs/2025/03/09/inv/out/report.md',
      download_url: 'http://127.0.0.1:8080/files/x?sig=y',
      s3_url: 's3://bucket/key',
      session_id: 's1',
      invocation_id: 'inv',
    };
    const draft = fileStoredEvent(file);
    expect(draft).toEqual({
      type: 'file.stored',
      data: { file_name: 'out/report.md', size: 12, key: file.key, download_url: file.download_url },
    });
    expect(EventPayloads['file.stored'].strict().parse(draft.data)).toEqual(draft.data);
  });
});
