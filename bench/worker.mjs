// The Worker figure: CPU time per unified list request of 500 records under
// workerd (`wrangler dev`, the local runtime), read from workerd's own process
// counters (/proc/<pid>/stat utime + stime) over many requests, so neither the
// client nor the loopback server playing the provider is counted. Two floors: the
// same page through the Worker's passthrough (`/proxy`: auth, account lookup,
// upstream fetch and answer, no mapping), and a bare Worker that only fetches the
// page and answers it (bench/floor-worker: workerd's own cost for those bytes).
// The peer: the same lists mapped by hand in a bare Worker (bench/handwritten.mjs
// under workerd), its answers checked equal to crosswalk's on sample records.
//
//   node bench/worker.mjs            (run by bench/run.mjs; prints JSON when run alone)
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { startWorker } from '../tests/helpers/wrangler.mjs';
import { startServer } from '../tests/node/helpers/server.mjs';
import { greenhousePage, greenhouseLookup, hubspotCallsPage } from './workloads.mjs';
import { assertSameRecords } from './same-records.mjs';

const RECORDS = 500;
const REQUESTS = Number(process.env.BENCH_WORKER_REQUESTS ?? 200);
const TOKEN = 'bench-worker-token';
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU milliseconds used so far by the workerd processes in wrangler's process group. */
function workerdCpuMs(group) {
  let ticks = 0;
  let found = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    // pid (comm) state ppid pgrp … utime(14) stime(15): fields after the ')' .
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    if (Number(f[2]) !== group || !comm.startsWith('workerd')) continue;
    found++;
    ticks += Number(f[11]) + Number(f[12]);
  }
  if (!found) throw new Error('no workerd process in the Worker’s process group');
  return ticks * TICK_MS;
}

const hubspotText = JSON.stringify(hubspotCallsPage(RECORDS));
const greenhouseText = JSON.stringify(greenhousePage(RECORDS));
const upstream = await startServer((req) => {
  if (req.path.startsWith('/crm/v3/objects/calls')) return { status: 200, body: hubspotText };
  if (req.path === '/v3/interviews') return { status: 200, body: greenhouseText };
  const rows = greenhouseLookup(req.url);
  return rows ? { status: 200, body: JSON.stringify(rows) } : { status: 404, body: { message: `no route ${req.path}` } };
});
const worker = await startWorker({ vars: { API_TOKENS: TOKEN, ALLOW_BASE_URL_OVERRIDE: 'true' } });
let floorWorker;

async function call(path, init = {}, status = 200, at = worker) {
  const res = await fetch(at.origin + path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 300));
  return text;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median wall ms and mean workerd CPU ms per request, after a warm-up. */
async function measure(path, check, at = worker) {
  const [m] = await measureRotating([{ path, check, at }]);
  return m;
}

/**
 * Targets measured in rotation, a tenth of the requests each per round, so that a
 * slow spell of the machine hits them alike: each one's mean workerd CPU ms and
 * median wall ms per request, and its per-round CPU (for ratios between them).
 */
async function measureRotating(targets, rounds = 10) {
  for (const t of targets) for (let i = 0; i < 20; i++) t.check(await call(t.path, {}, 200, t.at));
  const each = targets.map(() => ({ cpu: [], walls: [] }));
  const perRound = Math.ceil(REQUESTS / rounds);
  for (let r = 0; r < rounds; r++) {
    for (const [k, t] of targets.entries()) {
      const cpu0 = workerdCpuMs(t.at.pid);
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        await call(t.path, {}, 200, t.at);
        each[k].walls.push(performance.now() - t0);
      }
      each[k].cpu.push((workerdCpuMs(t.at.pid) - cpu0) / perRound);
    }
  }
  return each.map((e) => ({ cpuMs: e.cpu.reduce((a, b) => a + b, 0) / rounds, wallMs: median(e.walls), rounds: e.cpu }));
}

/** The median of the per-round CPU ratios a ÷ b. */
const cpuRatio = (a, b) => median(a.rounds.map((x, i) => x / b.rounds[i]));

let result;
try {
  for (const account of [
    { id: 'hubspot-bench', provider: 'hubspot', credentials: { access_token: 'bench-token' }, base_url: upstream.origin },
    { id: 'greenhouse-bench', provider: 'greenhouse', credentials: { access_token: 'bench-token' }, base_url: upstream.origin },
  ]) {
    await call('/integrated-accounts', { method: 'POST', body: JSON.stringify(account) }, 201);
  }
  // The last answer of each list, to hold the hand-written Worker's answers to.
  const answers = {};
  const records = (n, type) => (text) => {
    const page = JSON.parse(text);
    assert.equal(page.result.length, n);
    assert.equal(typeof page.result[0].id, 'string');
    if (type) assert.equal(page.result[0].engagement_type, type);
    answers[type ?? 'interview'] = page.result;
  };
  const sameAs = (kind) => (text) => assertSameRecords(answers[kind], JSON.parse(text).result, [0, 1, RECORDS >> 1, RECORDS - 1]);
  const raw = (text) => assert.equal(JSON.parse(text).results.length, RECORDS);
  floorWorker = await startWorker({ config: 'bench/floor-worker/wrangler.jsonc' });
  const pageUrl = encodeURIComponent(`${upstream.origin}/crm/v3/objects/calls`);
  // The crosswalk Worker first (its answers are what the hand-written ones are held to),
  // then each list against its hand-written peer, in rotation.
  const ours = {
    hubspot: { path: '/unified/crm/engagements?integrated_account_id=hubspot-bench&engagement_type=call', check: records(RECORDS, 'call'), at: worker },
    greenhouse: { path: '/unified/ats/interviews?integrated_account_id=greenhouse-bench', check: records(RECORDS), at: worker },
  };
  const hand = {
    hubspot: { path: `/hand/hubspot?u=${pageUrl}`, check: sameAs('call'), at: floorWorker },
    greenhouse: { path: `/hand/greenhouse?origin=${encodeURIComponent(upstream.origin)}`, check: sameAs('interview'), at: floorWorker },
  };
  const [hubspot, handHubspot] = await measureRotating([ours.hubspot, hand.hubspot]);
  const [greenhouse, handGreenhouse] = await measureRotating([ours.greenhouse, hand.greenhouse]);
  result = {
    records: RECORDS,
    requests: REQUESTS,
    hubspot,
    greenhouse,
    handHubspot,
    handGreenhouse,
    vsHand: { hubspot: cpuRatio(hubspot, handHubspot), greenhouse: cpuRatio(greenhouse, handGreenhouse) },
    health: await measure('/health', () => {}),
    account: await measure('/integrated-accounts/hubspot-bench', () => {}),
    passthrough: await measure('/proxy/crm/v3/objects/calls?integrated_account_id=hubspot-bench', raw),
    bareFetch: await measure(`/fetch?u=${pageUrl}`, raw, floorWorker),
  };
} finally {
  await worker.close();
  await floorWorker?.close();
  await upstream.close();
}
if (process.send) process.send(result);
else console.log(JSON.stringify(result, null, 2));
