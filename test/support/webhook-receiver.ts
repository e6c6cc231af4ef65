/**
 * A webhook receiver: a real HTTP server on a loopback address (OS-assigned port) that verifies
 * every delivery's signature with the `standardwebhooks` package, as a receiver in production
 * would, and answers as its plan says: a status, `drop` (the connection is destroyed before any
 * answer) or `hang` (no answer until the service gives up); after the plan, 200.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One answer of the plan. */
export type Answer = number | 'drop' | 'hang';

/** A POST the receiver got. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body, when the signature verified (with the receiver's secret). */
  payload: any;
  verified: boolean;
  /** Why verification failed. */
  error?: string;
  answer: Answer;
  headers: http.IncomingHttpHeaders;
  path: string;
}

export interface WebhookReceiver {
  url: string;
  host: string;
  port: number;
  received: Received[];
  /** The answers of the next requests, in order (replaces what is left of the plan). */
  plan(answers: Answer[]): void;
  /** The secret signatures are verified with. */
  setSecret(secret: string): void;
  /** Waits until `check` finds something in `received`. */
  waitFor<T>(check: (received: Received[]) => T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts a receiver on `host` (default 127.0.0.1). */
export async function startWebhookReceiver(opts: { host?: string; secret?: string; plan?: Answer[] } = {}): Promise<WebhookReceiver> {
  const host = opts.host ?? '127.0.0.1';
  let secret = opts.secret;
  let plan = [...(opts.plan ?? [])];
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const answer = plan.shift() ?? 200;
      let payload: unknown;
      let verified = false;
      let error: string | undefined;
      try {
        if (secret === undefined) throw new Error('the receiver has no secret');
        payload = new Webhook(secret).verify(body, {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        });
        verified = true;
      } catch (err) {
        error = (err as Error).message;
      }
      received.push({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body,
        payload,
        verified,
        ...(error !== undefined ? { error } : {}),
        answer,
        headers: req.headers,
        path: req.url ?? '/',
      });
      if (answer === 'drop') req.socket.destroy();
      else if (answer === 'hang') hanging.add(res);
      else res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 400 ? `refused with ${answer}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/hooks`,
    host,
    port,
    received,
    plan(answers) {
      plan = [...answers];
    },
    setSecret(next) {
      secret = next;
    },
    async waitFor(check, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = check(received);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `the webhook receiver did not get what was expected within ${timeoutMs} ms; it got ${JSON.stringify(received.map((r) => ({ id: r.id, answer: r.answer, verified: r.verified, type: r.payload?.type })))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
