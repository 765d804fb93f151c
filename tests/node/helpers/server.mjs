// A real loopback HTTP server that plays a provider: it records every request
// (method, path, headers, raw body) and answers from a handler or a script.
import http from 'node:http';

/**
 * startServer(handler) → { origin, requests, close() }
 * handler(req) gets { method, path, url, headers, body, json } and returns
 * { status, headers?, body? (object → JSON, string → as is) } or a Promise of it.
 */
export async function startServer(handler) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://127.0.0.1');
    const record = {
      method: req.method,
      path: url.pathname,
      url: req.url,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      raw,
      body: raw.toString('utf8'),
    };
    try {
      record.json = record.body ? JSON.parse(record.body) : undefined;
    } catch {
      record.json = undefined;
    }
    requests.push(record);
    let reply;
    try {
      reply = await handler(record, requests.length - 1);
    } catch (e) {
      reply = { status: 500, body: { message: String(e) } };
    }
    const headers = { 'content-type': 'application/json', ...(reply.headers ?? {}) };
    const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, headers);
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    // Open connections (a handler that never answers) are cut, so close never hangs.
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

/** Runs `fn(server)` against a server answering with `handler`, closing it after. */
export async function withServer(handler, fn) {
  const server = await startServer(handler);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Answers the i-th request with the i-th scripted reply (the last one repeats). */
export function script(...replies) {
  return (_req, i) => replies[Math.min(i, replies.length - 1)];
}

/** Reads a JSON fixture from tests/fixtures. */
export async function fixture(path) {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8'));
}

/** A sleep that records the waits and returns at once (the core still computes them). */
export function recordingSleep() {
  const waits = [];
  const sleep = async (ms) => {
    waits.push(ms);
  };
  return { waits, sleep };
}
