// crosswalk benchmarks: ratios in one Node process, same data, medians of several
// runs. Never a timed assertion — this prints a table (and bench/results/latest.md).
//
//   node --expose-gc bench/run.mjs            (or: cargo xtask bench)
//
// Workloads (records generated from the recorded provider fixtures, fixed seed):
//   map-greenhouse  a Greenhouse scheduled_interviews page of 10,000 records → unified
//   map-hubspot     a HubSpot calls page of 10,000 records → unified engagements
//   plan-lever      10,000 unified note creates → Lever requests
// Each is compared with the same mapping written as a JSONata 2.x expression and
// with the floor: JSON.parse + JSON.stringify of the same records.
import { performance } from 'node:perf_hooks';
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fork } from 'node:child_process';
import os from 'node:os';
import jsonata from 'jsonata';
import { Handle } from '../pkg/wasm/crosswalk_core.js';
import '../pkg/entry.node.js';
import { WORKLOADS } from './workloads.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn) {
  globalThis.gc?.();
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

async function measure(fn) {
  await fn(); // warm-up (JIT, wasm tier-up)
  const times = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const [t, out] = await time(fn);
    times.push(t);
    last = out;
  }
  return { ms: median(times), out: last };
}

function crosswalkMapPage(workload) {
  return () => {
    const h = new Handle(JSON.stringify(workload.listInput), Date.now());
    try {
      h.first();
      const step = JSON.parse(h.response(200, JSON.stringify(workload.headers ?? {}), workload.pageText, Date.now()));
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
  let ours;
  let theirs;
  let floor;
  if (w.kind === 'map') {
    ours = await measure(crosswalkMapPage(w));
    theirs = await measure(() => expr.evaluate(JSON.parse(w.pageText)));
    floor = await measure(() => JSON.stringify(JSON.parse(w.pageText)));
  } else {
    ours = await measure(crosswalkPlan(w));
    theirs = await measure(async () => {
      const out = new Array(w.bodies.length);
      for (let i = 0; i < w.bodies.length; i++) out[i] = JSON.stringify(await expr.evaluate(w.bodies[i]));
      return out;
    });
    floor = await measure(() => w.bodies.map((b) => JSON.parse(JSON.stringify(b))));
  }
  w.check?.(ours.out, await theirs.out);
  return { name: w.name, records: w.count, ours: ours.ms, jsonata: theirs.ms, floor: floor.ms };
}

function wasmFacts() {
  const path = new URL('../pkg/wasm/crosswalk_core_bg.wasm', import.meta.url);
  const bytes = readFileSync(path);
  return { raw: statSync(path).size, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** Instantiation in fresh processes (compile + instantiate + initSync), median. */
async function instantiation() {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(
      await new Promise((resolve, reject) => {
        const child = fork(new URL('./instantiate.mjs', import.meta.url), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
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

const rows = [];
for (const w of WORKLOADS()) rows.push(await runWorkload(w));
const size = wasmFacts();
const inst = await instantiation();
const mem = await streaming();

const fmt = (x) => x.toFixed(1);
const lines = [
  `crosswalk benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}, median of ${RUNS} runs`,
  '',
  '| workload | records | crosswalk ms | JSONata ms | JSON floor ms | JSONata ÷ crosswalk | crosswalk ÷ floor |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.records} | ${fmt(r.ours)} | ${fmt(r.jsonata)} | ${fmt(r.floor)} | ${(r.jsonata / r.ours).toFixed(1)}× | ${(r.ours / r.floor).toFixed(2)}× |`),
  '',
  `| wasm raw | wasm gzip -9 | compile (WebAssembly.Module) | instantiate + init | list() 100,000 records: heap before → peak → after |`,
  '|---:|---:|---:|---:|---|',
  `| ${(size.raw / 1024).toFixed(1)} KB | ${(size.gzip / 1024).toFixed(1)} KB | ${inst.module.toFixed(2)} ms | ${inst.init.toFixed(2)} ms | ${mem.summary} |`,
];
const table = lines.join('\n');
console.log(table);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.md', import.meta.url), table + '\n');
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ rows, size, inst, mem }, null, 2));
