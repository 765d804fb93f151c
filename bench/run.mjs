// crosswalk benchmarks: ratios in one Node process, same data, medians of several
// runs. Never a timed assertion — this prints a table (and bench/results/latest.md).
//
//   node --expose-gc bench/run.mjs            (or: cargo xtask bench)
//
// Workloads (records generated from the recorded provider fixtures, fixed seed):
//   map-greenhouse  a Greenhouse v3 interviews page of 10,000 records (+ its lookups) → unified
//   map-hubspot     a HubSpot calls page of 10,000 records → unified engagements
//   plan-lever      10,000 unified note creates → Lever requests
// Each is compared with the same mapping written as a JSONata 2.x expression and
// with the floor: JSON.parse + JSON.stringify of the same records, and through the
// public API with the same work written by hand in JavaScript (bench/handwritten.mjs).
// Last, the Worker figure under workerd (bench/worker.mjs).
import { performance } from 'node:perf_hooks';
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fork } from 'node:child_process';
import os from 'node:os';
import assert from 'node:assert/strict';
import jsonata from 'jsonata';
import { Handle } from '../pkg/wasm/crosswalk_core.js';
import '../pkg/entry.node.js';
import { WORKLOADS } from './workloads.mjs';
import { createClient, plan } from '../pkg/entry.node.js';
import { mapGreenhousePage, mapHubspotCallsPage, leverRequest, mapLeverNote } from './handwritten.mjs';
import { assertSameRecords } from './same-records.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn) {
  globalThis.gc?.();
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

/**
 * Peers measured in rotation (a, b, c, a, b, c, …) so that a slow spell of a
 * shared machine hits them alike: each one's median time and last output, and
 * `ratio(i, j)`, the median of the per-round ratios fns[i] ÷ fns[j] (the figure
 * the tables report).
 */
async function measureRound(fns) {
  for (const fn of fns) await fn(); // warm-up (JIT, wasm tier-up)
  const times = fns.map(() => []);
  const outs = [];
  for (let r = 0; r < RUNS; r++) {
    for (const [k, fn] of fns.entries()) {
      const [t, out] = await time(fn);
      times[k].push(t);
      outs[k] = out;
    }
  }
  return {
    each: fns.map((_, k) => ({ ms: median(times[k]), out: outs[k] })),
    ratio: (i, j) => median(times[i].map((t, r) => t / times[j][r])),
  };
}

/** One workload alone: its median time and last output. */
async function measure(fn) {
  return (await measureRound([fn])).each[0];
}

async function measurePair(fnA, fnB) {
  const m = await measureRound([fnA, fnB]);
  return { a: m.each[0], b: m.each[1], ratio: m.ratio(0, 1) };
}

// The raw handle takes a body's bytes, as a fetch gives them, and is asked for
// what the npm driver asks: remote_data by reference (the record's raw item stays
// in the body the caller holds, as JSONata's `$` and the hand-written `r` do).
const encoder = new TextEncoder();

function crosswalkMapPage(workload) {
  const pageBytes = encoder.encode(workload.pageText);
  const input = JSON.stringify({ ...workload.listInput, remote_data_by_reference: true });
  return () => {
    const h = new Handle(input, Date.now());
    try {
      h.first();
      let step = JSON.parse(h.response(200, JSON.stringify(workload.headers ?? {}), pageBytes, Date.now()));
      // Lookups the page needs (Greenhouse v3), answered from memory like the page.
      while (step.send && workload.lookup) step = JSON.parse(h.response(200, '{}', encoder.encode(JSON.stringify(workload.lookup(step.send.url))), Date.now()));
      if (!step.done) throw new Error(JSON.stringify(step).slice(0, 300));
      return step.done.result;
    } finally {
      h.free();
    }
  };
}

function crosswalkPlan(workload) {
  return () => {
    const out = new Array(workload.bodies.length);
    for (let i = 0; i < workload.bodies.length; i++) {
      const h = new Handle(JSON.stringify({ ...workload.createInput, body: workload.bodies[i] }), 0);
      const step = JSON.parse(h.first());
      h.free();
      if (!step.send) throw new Error(JSON.stringify(step).slice(0, 300));
      out[i] = step.send;
    }
    return out;
  };
}

async function runWorkload(w) {
  const expr = jsonata(w.jsonata);
  const peers =
    w.kind === 'map'
      ? [crosswalkMapPage(w), () => expr.evaluate(JSON.parse(w.pageText)), () => JSON.stringify(JSON.parse(w.pageText))]
      : [
          crosswalkPlan(w),
          async () => {
            const out = new Array(w.bodies.length);
            for (let i = 0; i < w.bodies.length; i++) out[i] = JSON.stringify(await expr.evaluate(w.bodies[i]));
            return out;
          },
          () => w.bodies.map((b) => JSON.parse(JSON.stringify(b))),
        ];
  const m = await measureRound(peers);
  const [ours, theirs, floor] = m.each;
  w.check?.(ours.out, await theirs.out);
  return { name: w.name, records: w.count, ours: ours.ms, jsonata: theirs.ms, floor: floor.ms, vsJsonata: m.ratio(1, 0), vsFloor: m.ratio(0, 2) };
}

function wasmFacts(file) {
  const path = new URL(`../pkg/wasm/${file}`, import.meta.url);
  const bytes = readFileSync(path);
  return { raw: statSync(path).size, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** Instantiation in fresh processes (compile + instantiate + initSync), median. */
async function instantiation(file) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(
      await new Promise((resolve, reject) => {
        const child = fork(new URL('./instantiate.mjs', import.meta.url), [file], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        child.on('message', resolve);
        child.on('error', reject);
      }),
    );
  }
  return { module: median(samples.map((s) => s.compileMs)), init: median(samples.map((s) => s.initMs)) };
}

/** Peak memory while streaming 100,000 records through list() from a loopback server. */
async function streaming() {
  const result = await new Promise((resolve, reject) => {
    const child = fork(new URL('./stream-memory.mjs', import.meta.url), ['--expose-gc'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
    child.on('message', resolve);
    child.on('error', reject);
  });
  return result;
}

/** The Worker figure (bench/worker.mjs): workerd CPU per list request of 500 records. */
function workerFigure() {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./worker.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', resolve);
    child.on('error', reject);
    child.on('exit', (code) => code && reject(new Error(`bench/worker.mjs exited with ${code}`)));
  });
}

// ---------- through the public API, against hand-written JavaScript ----------

/** A fetch that answers every request with `text` (status), read as a real Response. */
const answering = (text, status = 200, headers = {}) => async () => new Response(text, { status, headers: { 'content-type': 'application/json', ...headers } });

async function publicMap(w, handMap) {
  // The page, and any lookup the provider's mapping needs, as real Responses.
  const fetch = async (url) => {
    const rows = w.lookup?.(String(url));
    return new Response(rows ? JSON.stringify(rows) : w.pageText, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const origin = 'https://harvest.greenhouse.io';
  const client = createClient({ accounts: [{ id: 'a', ...w.listInput.account }], fetch });
  const query = { ...w.listInput.query, integrated_account_id: 'a', max_pages: 1 };
  // The hand-written peer pays the same fetches and body reads.
  const { a: ours, b: hand, ratio } = await measurePair(
    async () => (await client.unifiedApi.list(w.listInput.model, w.listInput.resource, query).page()).result,
    async () => (w.lookup ? handMap(fetch, origin, await (await fetch(`${origin}/v3/interviews`)).text()) : handMap(await (await fetch('x')).text())),
  );
  assertSameRecords(ours.out, hand.out, [0, 1, 10, 4999, w.count - 1]);
  return { name: w.name, records: w.count, ours: ours.ms, hand: hand.ms, ratio };
}

async function publicCreates(w) {
  const answer = readFileSync(new URL('../tests/fixtures/lever/recorded.notes.create.response.json', import.meta.url), 'utf8');
  const key = w.createInput.account.credentials.api_key;
  const client = createClient({ accounts: [{ id: 'a', ...w.createInput.account }], fetch: answering(answer, 201) });
  const fetch = answering(answer, 201);
  const { a: ours, b: hand, ratio } = await measurePair(
    async () => {
      const out = new Array(w.bodies.length);
      for (let i = 0; i < w.bodies.length; i++) out[i] = await client.unifiedApi.create('ats', 'activities', w.bodies[i], { integrated_account_id: 'a' });
      return out;
    },
    async () => {
      const out = new Array(w.bodies.length);
      for (let i = 0; i < w.bodies.length; i++) {
        const req = leverRequest(w.bodies[i], key);
        const res = await fetch(req.url, req);
        out[i] = mapLeverNote(await res.text(), w.bodies[i].candidate_id);
      }
      return out;
    },
  );
  assertSameRecords(ours.out, hand.out, [0, 1, w.count - 1]);
  // The requests themselves: what plan() shows equals what the hand-written builder sends.
  for (const i of [0, 1, w.count - 1]) {
    const planned = plan({ ...w.createInput, body: w.bodies[i] }).requests[0];
    const built = leverRequest(w.bodies[i], key);
    assert.equal(planned.url, built.url);
    assert.deepEqual(JSON.parse(planned.body), JSON.parse(built.body));
  }
  // One plan() call, the per-call figure.
  const one = await measure(() => {
    for (let i = 0; i < w.bodies.length; i++) plan({ ...w.createInput, body: w.bodies[i] });
  });
  return { name: '10,000 Lever note creates (request + answer → unified)', records: w.count, ours: ours.ms, hand: hand.ms, ratio, planUs: (one.ms * 1000) / w.count };
}

const rows = [];
const publicRows = [];
let planUs;
for (const w of WORKLOADS()) {
  rows.push(await runWorkload(w));
  if (w.kind === 'map') publicRows.push(await publicMap(w, w.resource === 'engagements' ? mapHubspotCallsPage : mapGreenhousePage));
  else {
    const r = await publicCreates(w);
    planUs = r.planUs;
    publicRows.push(r);
  }
}
// The browser entry loads the size build; Node (this bench) and workerd the fast one.
const BUILDS = [['crosswalk_core_bg.wasm', 'size build (browser entry)'], ['crosswalk_core_fast.wasm', 'fast build (Node, workerd)']];
const builds = [];
for (const [file, label] of BUILDS) builds.push({ file, label, size: wasmFacts(file), inst: await instantiation(file) });
const mem = await streaming();
const wk = await workerFigure();

const fmt = (x) => x.toFixed(1);
const lines = [
  `crosswalk benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}, median of ${RUNS} runs; peers run in rotation, ratios are medians of per-round ratios`,
  '',
  '| workload | records | crosswalk ms | JSONata ms | JSON floor ms | JSONata ÷ crosswalk | crosswalk ÷ floor |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.records} | ${fmt(r.ours)} | ${fmt(r.jsonata)} | ${fmt(r.floor)} | ${r.vsJsonata.toFixed(1)}× | ${r.vsFloor.toFixed(2)}× |`),
  '',
  'Through the public API (`createClient` over a fetch that answers the page, `list().page()` / `create()`), against the same work written by hand in JavaScript (the two run in alternation; the ratio is the median of the per-round ratios):',
  '',
  '| workload | records | crosswalk public API ms | hand-written JS ms | crosswalk ÷ hand-written |',
  '|---|---:|---:|---:|---:|',
  ...publicRows.map((r) => `| ${r.name} | ${r.records} | ${fmt(r.ours)} | ${fmt(r.hand)} | ${r.ratio.toFixed(2)}× |`),
  '',
  `One \`plan()\` call (Lever note create): ${planUs.toFixed(1)} µs.`,
  '',
  `| wasm | raw | gzip -9 | compile (WebAssembly.Module) | instantiate + init |`,
  '|---|---:|---:|---:|---:|',
  ...builds.map((b) => `| ${b.label} | ${(b.size.raw / 1024).toFixed(1)} KB | ${(b.size.gzip / 1024).toFixed(1)} KB | ${b.inst.module.toFixed(2)} ms | ${b.inst.init.toFixed(2)} ms |`),
  '',
  `list() of 100,000 records, heap before → peak → after: ${mem.summary}`,
  '',
  `The Worker under workerd (\`wrangler dev\`, local): CPU per request, from workerd's /proc counters over ${wk.requests} requests, and median wall time:`,
  '',
  '| request | workerd CPU ms | wall ms |',
  '|---|---:|---:|',
  ...[
    ['HubSpot calls, list of 500 (`GET /unified/crm/engagements`)', wk.hubspot],
    ['the same list mapped by hand in a bare Worker (fetch, `JSON.parse`, `.map`, `JSON.stringify`)', wk.handHubspot],
    ['Greenhouse interviews, list of 500 + its lookups (`GET /unified/ats/interviews`)', wk.greenhouse],
    ['the same list and lookups by hand in a bare Worker', wk.handGreenhouse],
    ['the same HubSpot page through `/proxy` (account, token, fetch; no mapping)', wk.passthrough],
    ['a bare Worker that only fetches that page and answers it', wk.bareFetch],
    ['`GET /integrated-accounts/:id`', wk.account],
    ['`GET /health`', wk.health],
  ].map(([name, m]) => `| ${name} | ${fmt(m.cpuMs)} | ${fmt(m.wallMs)} |`),
  '',
  `crosswalk's Worker ÷ the hand-written Worker, CPU per request (each pair in rotation, median of per-round ratios; answers checked equal on sample records): HubSpot ${wk.vsHand.hubspot.toFixed(2)}×, Greenhouse ${wk.vsHand.greenhouse.toFixed(2)}×`,
];
const table = lines.join('\n');
console.log(table);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.md', import.meta.url), table + '\n');
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ rows, publicRows, planUs, builds, mem, worker: wk }, null, 2));
