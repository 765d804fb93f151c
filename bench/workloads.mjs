// Benchmark data, generated from the recorded provider fixtures with a fixed seed,
// and the same mappings written as JSONata expressions.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const fixture = (p) => JSON.parse(readFileSync(new URL(`../tests/fixtures/${p}`, import.meta.url), 'utf8'));

/** mulberry32: small deterministic PRNG. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms) => new Date(ms).toISOString();

export function greenhousePage(count, seed = 42) {
  const examples = fixture('greenhouse/doc.scheduled_interviews.list.response.json');
  const rand = rng(seed);
  const statuses = ['scheduled', 'awaiting_feedback', 'complete'];
  const out = [];
  for (let i = 0; i < count; i++) {
    const base = structuredClone(examples[i % examples.length]);
    const start = Date.UTC(2024, 0, 1) + Math.floor(rand() * 3e10);
    base.id = 9_000_000 + i;
    base.application_id = 4_000_000 + Math.floor(rand() * 100_000);
    base.status = statuses[Math.floor(rand() * 3)];
    base.start = i % 10 === 0 ? { date: iso(start).slice(0, 10) } : { date_time: iso(start) };
    base.end = i % 10 === 0 ? { date: iso(start + 86_400_000).slice(0, 10) } : { date_time: iso(start + 3_600_000) };
    base.created_at = iso(start - 86_400_000 * 7);
    base.updated_at = iso(start - 86_400_000);
    base.interviewers = (base.interviewers ?? []).map((u, k) => ({ ...u, id: 4000 + ((i + k) % 500) }));
    out.push(base);
  }
  return out;
}

const GREENHOUSE_JSONATA = `
$map($, function($r) {(
  $t := function($v) { $v ? $fromMillis($toMillis($v)) : null };
  $m := function($x) { $x.date_time ? $t($x.date_time) : ($x.date ? $t($x.date & "T00:00:00Z") : null) };
  $u := function($p) { {"id": $string($p.id), "name": $p.name ? $p.name : ($p.first_name & " " & $p.last_name), "email": $p.email} };
  {
    "id": $string($r.id),
    "application": $r.application_id ? {"id": $string($r.application_id)} : null,
    "candidate": null,
    "created_at": $t($r.created_at),
    "updated_at": $t($r.updated_at),
    "start_at": $m($r.start),
    "end_at": $m($r.end),
    "interviewers": [$map($r.interviewers, $u)],
    "organizer": $r.organizer ? $u($r.organizer) : null,
    "job_interview_stage": $r.interview ? {"id": $string($r.interview.id), "name": $r.interview.name} : null,
    "location": $r.location ? $r.location : $r.video_conferencing_url,
    "status": $lookup({"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback", "complete": "completed"}, $r.status),
    "remote_data": $r
  }
)})`;

const LEVER_JSONATA = `{
  "method": "POST",
  "url": "https://api.lever.co/v1/opportunities/" & $encodeUrlComponent(candidate_id) & "/notes",
  "headers": {"content-type": "application/json"},
  "body": $string({
    "value": body,
    "secret": visibility = "private" ? true : (visibility = "public" ? false : undefined),
    "createdAt": created_at ? $toMillis(created_at) : undefined
  })
}`;

export function leverBodies(count, seed = 7) {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    candidate_id: `opp-${Math.floor(rand() * 1e9).toString(36)}`,
    body: `Interview note ${i}: ${'strong signal on systems design; '.repeat(1 + (i % 4))}`,
    visibility: i % 2 ? 'private' : 'public',
    created_at: iso(Date.UTC(2024, 0, 1) + Math.floor(rand() * 3e10)),
  }));
}

export function WORKLOADS() {
  const gh = greenhousePage(10_000);
  const workloads = [
    {
      name: 'map Greenhouse scheduled_interviews page → unified',
      kind: 'map',
      count: gh.length,
      pageText: JSON.stringify(gh),
      listInput: { account: { provider: 'greenhouse', credentials: { api_key: 'bench-key' } }, model: 'ats', resource: 'interviews', method: 'list', query: { limit: 500 } },
      jsonata: GREENHOUSE_JSONATA,
      check(ours, theirs) {
        assert.equal(ours.length, 10_000);
        assert.equal(theirs.length, 10_000);
        for (const i of [0, 1, 4999, 9999]) {
          assert.equal(ours[i].id, theirs[i].id);
          assert.equal(ours[i].status, theirs[i].status);
          assert.equal(Date.parse(ours[i].start_at), Date.parse(theirs[i].start_at));
          assert.deepEqual(ours[i].interviewers.map((u) => u.id), theirs[i].interviewers.map((u) => u.id));
        }
      },
    },
    {
      name: 'plan 10,000 Lever note creates (unified → provider request)',
      kind: 'plan',
      count: 10_000,
      bodies: leverBodies(10_000),
      createInput: { account: { provider: 'lever', credentials: { api_key: 'bench-key' } }, model: 'ats', resource: 'activities', method: 'create', query: {} },
      jsonata: LEVER_JSONATA,
      check(ours, theirs) {
        assert.equal(ours.length, 10_000);
        for (const i of [0, 1, 9999]) {
          assert.equal(ours[i].url, JSON.parse(theirs[i]).url);
          assert.deepEqual(JSON.parse(ours[i].body), JSON.parse(JSON.parse(theirs[i]).body));
        }
      },
    },
  ];
  return workloads;
}
