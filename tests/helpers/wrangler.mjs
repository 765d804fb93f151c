// Starts the Worker with `wrangler dev` on free loopback ports (API + inspector),
// with its own KV persistence folder and vars, and stops it by the process group
// it started. Used by the end-to-end and browser tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * startWorker({ vars }) → { origin, persist, pid, logs(), close() }. `vars` become `--var K:V`
 * (they override wrangler.jsonc and any .dev.vars); `config` picks another Worker (the bench's floor).
 */
// A fixed key for the tests' Workers: credentials are sealed at rest (worker/src/credentials.js).
const TEST_CREDENTIALS_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

export async function startWorker({ vars = {}, timeoutMs = 90_000, persist: reuse, config = 'worker/wrangler.jsonc' } = {}) {
  vars = { CREDENTIALS_KEY: TEST_CREDENTIALS_KEY, ...vars };
  const port = await freePort();
  const inspector = await freePort();
  // `persist` (a previous Worker's folder) restarts on the same storage: the caller removes it.
  const persist = reuse ?? mkdtempSync(join(tmpdir(), 'crosswalk-kv-'));
  const args = [
    'dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspector), '--persist-to', persist, '--show-interactive-dev-session=false',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: close() stops wrangler and its workerd together
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const origin = `http://127.0.0.1:${port}`;

  const close = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([exit.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!killed) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exit;
      }
    }
    if (!reuse && !keep) rmSync(persist, { recursive: true, force: true });
  };
  // `stop()` ends the process but keeps its storage for a restart.
  let keep = false;
  const stop = async () => {
    keep = true;
    await close();
  };

  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`wrangler dev exited before it was ready:\n${output}`);
    if (Date.now() - started > timeoutMs) {
      await close();
      throw new Error(`wrangler dev was not ready after ${timeoutMs} ms:\n${output}`);
    }
    try {
      const res = await fetch(`${origin}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // `persist`: the local KV/Durable Object files, for tests that read what is at rest;
  // `pid`: wrangler's process group (the bench reads workerd's CPU time in it).
  return { origin, persist, pid: child.pid, logs: () => output, close, stop };
}
