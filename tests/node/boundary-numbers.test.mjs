// Boundary numbers (issue 12) through the wasm package: i64/u64 limits, 2^53 + 1,
// 1e308, -0, 1e400 (raw JSON text: the body reaches the core as text), -1,
// fractions and numeric strings, put into every numeric leaf of every recorded
// provider response and into request `duration`. Every call ends in a
// CrosswalkError with the unified shape or a value whose unified durations are
// null or safe non-negative integers — never a wasm trap; an out-of-range
// provider duration is null with a `value_out_of_range` warning.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'crosswalk';
import { seeds, runOp } from './helpers/corpus.mjs';
import { settle } from './helpers/checks.mjs';

const NUMBERS = ['9223372036854775807', '-9223372036854775808', '18446744073709551615', '9007199254740993', '153722867280912931', '1e308', '-0', '1e400', '-1', '0', '1.5',
  '"9999999999999999999"', '"NaN"', '" 12 "'];
const CLOCKS = ['"153722867280912931:07"', '"2562047788015216:00"', '"-1:30"', '"01:30"'];
const MARK = '@@crosswalk-boundary@@';

function leaves(v, at = [], out = []) {
  if (typeof v === 'number') out.push([at, false]);
  else if (typeof v === 'string' && /^\d+:\d\d$/.test(v)) out.push([at, true]);
  else if (typeof v === 'string' && v.trim() !== '' && v.length < 40 && !Number.isNaN(Number(v))) out.push([at, false]);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...at, k], out);
  return out;
}

function substitute(body, at, raw) {
  const copy = structuredClone(body);
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k];
  node[at[at.length - 1]] = MARK;
  return JSON.stringify(copy).replace(`"${MARK}"`, raw);
}

async function call(seed, bodies) {
  let i = 0;
  const fetch = async () => {
    const r = bodies[i++];
    if (!r) throw new TypeError('fetch failed');
    return new Response([204, 205, 304].includes(r.status) ? null : r.text, { status: r.status, headers: { 'content-type': 'application/json', ...(r.headers ?? {}) } });
  };
  let t = 1_767_225_600_000;
  const client = createClient({ accounts: [{ ...seed.account, id: 'acc1' }], fetch, now: () => t, sleep: async (ms) => { t += Math.max(1, Number(ms) || 0); }, retry: { maxAttempts: 1 } });
  const query = { ...seed.query, integrated_account_id: 'acc1' };
  return settle(() => runOp(client.unifiedApi, seed, query, 2));
}

const records = (v) => (Array.isArray(v) ? v.flatMap((p) => p.result ?? []) : v?.result ?? (v && typeof v === 'object' ? [v] : []));
const warnings = (v) => (Array.isArray(v) ? v.flatMap((p) => p.warnings ?? []) : v?.warnings ?? []);

function checkDurations(out, what) {
  if (!('value' in out)) return;
  for (const r of records(out.value)) {
    const d = r?.duration;
    assert.ok(d === null || d === undefined || (Number.isSafeInteger(d) && d >= 0), `${what}: duration ${d}`);
  }
}

const textOf = (r) => ({ status: r.status ?? 200, headers: r.headers, text: typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? null) });

test('boundary numbers in every recorded provider response end in a value or a structured error', async () => {
  let runs = 0;
  for (const seed of seeds().filter((s) => s.responses.length)) {
    const base = seed.responses.map(textOf);
    for (let i = 0; i < base.length; i++) {
      let body;
      try { body = JSON.parse(base[i].text); } catch { continue; }
      for (const [at, clock] of leaves(body)) {
        for (const raw of clock ? CLOCKS : NUMBERS) {
          const bodies = base.map((b, j) => (j === i ? { ...b, text: substitute(body, at, raw) } : b));
          const out = await call(seed, bodies);
          checkDurations(out, `${seed.account.provider} ${seed.method} response ${i} ${at.join('.')} = ${raw}`);
          runs++;
        }
      }
    }
  }
  assert.ok(runs > 1000, `only ${runs} runs`);
});

test('regression: a Dynamics actualdurationminutes past i64 is null with a warning, not a trap', async () => {
  const seed = seeds().find((s) => s.account.provider === 'dynamics365' && s.method === 'create' && s.responses.length);
  const body = JSON.parse(textOf(seed.responses[0]).text);
  for (const raw of ['153722867280912931', '9223372036854775807']) {
    const out = await call(seed, [{ status: seed.responses[0].status, text: substitute(body, ['actualdurationminutes'], raw) }]);
    assert.ok('value' in out, `${raw}: ${out.json?.code}`);
    assert.equal(out.value.duration, null);
    assert.ok(warnings(out.value).some((w) => w.code === 'value_out_of_range' && w.field.endsWith('duration')), JSON.stringify(warnings(out.value)));
    assert.equal(String(out.value.remote_data.actualdurationminutes), String(Number(raw)), 'the raw value stays in remote_data');
  }
});

test('a caller duration outside 0..2^53-1 is an out_of_range issue at body.duration', async () => {
  const seed = seeds().find((s) => s.account.provider === 'hubspot' && s.method === 'create' && s.body?.engagement_type === 'call');
  for (const [duration, code] of [[9223372036854776, 'out_of_range'], [-5, 'out_of_range'], [1.5, 'invalid_type'], [2 ** 53, 'out_of_range']]) {
    const out = await call({ ...seed, body: { ...seed.body, duration } }, []);
    assert.ok('json' in out, `${duration} accepted`);
    assert.equal(out.json.statusCode, 400);
    assert.equal(out.json.details.find((d) => d.field === 'body.duration')?.code, code, JSON.stringify(out.json));
  }
});
