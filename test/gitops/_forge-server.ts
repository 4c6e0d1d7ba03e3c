/**
 * A scripted forge API on 127.0.0.1: it answers each request with the next scripted reply
 * and records what it received, so tests can assert the exact requests.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface FakeForge {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

export async function fakeForge(replies: Reply[]): Promise<FakeForge> {
  const received: Received[] = [];
  const queue = [...replies];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text === '' ? undefined : JSON.parse(text) });
      const reply = queue.shift() ?? { status: 599, body: { message: 'unexpected request' } };
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The headers a test checks: auth, content negotiation and the API version. */
export function relevantHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const pick = ['accept', 'authorization', 'content-type', 'private-token', 'user-agent', 'x-github-api-version'];
  return Object.fromEntries(pick.filter((name) => headers[name] !== undefined).map((name) => [name, String(headers[name])]));
}
