/** What `POST /sessions/{session_id}/files` answers: the files an upload wrote and the entries it left out. */
import { z } from 'zod';

/** Why an entry of an upload was not written. */
export const UPLOAD_SKIP_REASONS = ['symbolic_link', 'hard_link', 'special_file', 'unsupported_entry'] as const;

/** The answer to an upload. */
export const UploadResultSchema = z
  .object({
    session_id: z.string(),
    files: z
      .array(
        z.object({
          path: z.string().meta({ description: 'Path relative to the session workspace.' }),
          size: z.number().int().nonnegative().meta({ description: 'Bytes written.' }),
        }),
      )
      .meta({ description: 'Every file written, by path.' }),
    file_count: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative().meta({ description: 'Bytes written in all.' }),
    skipped: z
      .array(
        z.object({
          path: z.string(),
          reason: z.enum(UPLOAD_SKIP_REASONS).meta({
            description: 'Links (symbolic or hard) and devices, FIFOs or other special entries of an archive are never written.',
          }),
        }),
      )
      .meta({ description: 'Entries of the archive left out, and why.' }),
    skipped_count: z.number().int().nonnegative(),
  })
  .meta({ id: 'UploadResult', description: "What an upload wrote into the session's workspace." });
export type UploadResult = z.infer<typeof UploadResultSchema>;
