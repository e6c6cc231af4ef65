/** `cca webhooks list | retry | verify`: a session's webhook deliveries, sending one again, and checking a delivery's signature. */
import { CONNECTION, typed, type CommandDef } from './define.js';

const load = () => import('../webhooks.js');

/** `cca webhooks` and its subcommands. */
export const WEBHOOKS_COMMAND: CommandDef = {
  name: 'webhooks',
  summary: "List a session's webhook deliveries, or check a delivery's signature (cca webhooks help).",
  usage: '<list | retry | verify> [options]',
  description:
    'Webhooks POST the end of each invocation and its permission requests to the URL of the request\'s "webhook" (or the ' +
    "API key's default), signed as Standard Webhooks says: webhook-id, webhook-timestamp and webhook-signature headers.",
  after: 'Each has its own help: cca webhooks verify --help.',
  subcommands: [
    {
      name: 'list',
      summary: "A session's deliveries, newest first: type, state, attempts, the receiver's last answer, when next tried.",
      usage: 'SESSION_ID [--invocation ID] [--limit N] [--json]',
      positionals: true,
      options: [
        { flags: '--invocation <ID>', help: 'Only the deliveries of this invocation.' },
        { flags: '--limit <N>', help: 'Deliveries to show, 1 to 100.', default: '50' },
        { flags: '--json', help: "Print the service's answer." },
        ...CONNECTION,
      ],
      after: 'Exit status 1 when the session is not found or the request failed.',
      run: async (input, ctx) => (await load()).runWebhooksList(typed(input), ctx),
    },
    {
      name: 'retry',
      summary: 'Send a failed (or delivered) delivery again: same webhook-id and body, a fresh retry schedule.',
      usage: 'SESSION_ID WEBHOOK_ID [--json]',
      positionals: true,
      options: [{ flags: '--json', help: "Print the service's answer (the delivery)." }, ...CONNECTION],
      after: 'Exit status 1 when there is no such delivery, it is pending already, or the request failed.',
      run: async (input, ctx) => (await load()).runWebhooksRetry(typed(input), ctx),
    },
    {
      name: 'verify',
      summary: 'Check that a delivery was signed with a secret (exit status 0) or not (1).',
      usage: '--secret whsec_... (--id ID --timestamp T --signature SIG | --headers FILE) [--body FILE | < body]',
      description:
        'Checks the webhook-signature of a delivery as a receiver does: HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" ' +
        'with the secret, and a timestamp within 5 minutes of now (against replays). The body must be the bytes received, unchanged.',
      options: [
        {
          flags: '--secret <SECRET>',
          env: 'CCA_WEBHOOK_SECRET',
          help: "The secret (cca keys webhook-secret KEY_ID prints a key's); prefer the variable: a flag shows in ps.",
        },
        { flags: '--id <ID>', help: 'The webhook-id header.' },
        { flags: '--timestamp <T>', help: 'The webhook-timestamp header (Unix seconds).' },
        { flags: '--signature <SIG>', help: 'The webhook-signature header (v1,... ; several separated by spaces).' },
        { flags: '--headers <FILE>', help: 'A file of "Name: value" lines holding the three headers (e.g. curl -D FILE).' },
        { flags: '--body <FILE>', help: 'The body as received.', default: 'stdin' },
        { flags: '--any-age', help: 'Check the signature only, however old the timestamp.' },
      ],
      after:
        'Exit status: 0 valid, 1 not valid (or too old), 2 bad usage.\n\n' +
        'Example:\n  cca webhooks verify --headers headers.txt --body body.json   (with CCA_WEBHOOK_SECRET=whsec_...)',
      run: async (input, ctx) => (await load()).runWebhooksVerify(typed(input), ctx),
    },
  ],
};
