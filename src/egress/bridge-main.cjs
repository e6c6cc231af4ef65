// @ts-check
/**
 * The egress bridge, run by Node inside a sandbox that has no network (see bridge.ts):
 *   node bridge-main.cjs PORT SOCKET FORWARDS COMMAND [ARGS...]
 * It listens on 127.0.0.1:PORT and relays each connection to the egress proxy's Unix SOCKET; for
 * each "host:port" of FORWARDS (comma-separated) it also listens on host:port and tunnels what
 * arrives there to that host through the proxy. Once listening, it runs COMMAND and ends as it ends.
 * Plain CommonJS without dependencies: it runs the same from a build and from the sources.
 */
'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');

const [port, socketPath, forwardList, command, ...args] = process.argv.slice(2);
if (port === undefined || socketPath === undefined || forwardList === undefined || command === undefined) {
  process.stderr.write('cca egress bridge: usage: PORT SOCKET FORWARDS COMMAND [ARGS...]\n');
  process.exit(2);
}

/**
 * Relays `client` to the proxy; with a `preamble` (a CONNECT request), opens that tunnel first.
 * @param {net.Socket} client
 * @param {string | undefined} preamble
 */
function relay(client, preamble) {
  const upstream = net.connect(/** @type {string} */ (socketPath));
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  if (preamble === undefined) {
    client.pipe(upstream);
    upstream.pipe(client);
    return;
  }
  client.pause();
  upstream.write(preamble);
  let answer = '';
  /** @param {Buffer} chunk */
  const onData = (chunk) => {
    answer += chunk.toString('latin1');
    const end = answer.indexOf('\r\n\r\n');
    if (end < 0) return;
    upstream.off('data', onData);
    // Refused (403) or unreachable (502): the client sees its connection closed.
    if (!/^HTTP\/1\.[01] 200/.test(answer)) return client.destroy();
    const rest = Buffer.from(answer.slice(end + 4), 'latin1');
    if (rest.length > 0) client.write(rest);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };
  upstream.on('data', onData);
}

/** @type {Array<{ host: string, port: number, preamble: string | undefined }>} */
const listeners = [{ host: '127.0.0.1', port: Number(port), preamble: undefined }];
for (const forward of forwardList.split(',').filter((f) => f !== '')) {
  const at = forward.lastIndexOf(':');
  const target = forward.slice(0, at);
  const targetPort = Number(forward.slice(at + 1));
  const authority = target.includes(':') ? `[${target}]:${targetPort}` : `${target}:${targetPort}`;
  const preamble = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
  // "localhost" may resolve to either address family: listen on both.
  for (const host of target === 'localhost' ? ['127.0.0.1', '::1'] : [target]) listeners.push({ host, port: targetPort, preamble });
}

let pending = listeners.length;
let launched = false;
function started() {
  pending -= 1;
  // A listener's later error (e.g. out of descriptors on accept) must not start the command again.
  if (pending > 0 || launched) return;
  launched = true;
  // Handlers first: a signal that comes as the command starts must reach it, not end the bridge alone.
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT', 'SIGHUP'])) process.on(signal, () => child.kill(signal));
  const child = spawn(/** @type {string} */ (command), args, { stdio: 'inherit' });
  child.on('error', (err) => {
    process.stderr.write(`cca egress bridge: cannot start ${command}: ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    // Die the way the child died, so that the parent sees the same signal.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

for (const l of listeners) {
  const server = net.createServer((client) => relay(client, l.preamble));
  server.on('error', (err) => {
    process.stderr.write(`cca egress bridge: cannot listen on ${l.host}:${l.port}: ${err.message}\n`);
    // Without the proxy port nothing works; a forward the sandbox cannot have (no ::1) is skipped.
    if (l.preamble === undefined) process.exit(1);
    started();
  });
  server.listen(l.port, l.host, started);
}
