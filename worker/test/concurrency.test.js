// Idempotency-Key under concurrency: many identical POSTs with one key at the same
// time must reach the provider once. The provider answers instantly, so the window
// between "nobody has this key" and "I have claimed it" is all that protects it.
// The Worker is called directly (same bindings): 1000 SELF.fetch calls inside one
// test slow down quadratically in the vitest pool, the direct calls do not.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { env, runInDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { callWith, putAccount, fakeUpstream, LEVER_NOTE } from './helpers.js';

const BURSTS = 50;
const PER_BURST = 20;

let upstream;
afterEach(() => upstream?.restore());
beforeAll(async () => {
  await putAccount({ id: 'lever-race', provider: 'lever', credentials: { api_key: 'race-key' } });
});

describe('Idempotency-Key under concurrency', () => {
  it(`${BURSTS} bursts of ${PER_BURST} concurrent POSTs with one key: one provider write per burst`, { timeout: 120_000 }, async () => {
    upstream = fakeUpstream({ status: 201, body: LEVER_NOTE });
    const path = '/unified/ats/activities?integrated_account_id=lever-race';
    const note = { candidate_id: 'opp-1', body: 'Exactly once' };
    const writesPerBurst = [];
    const counts = { created: 0, replayed: 0, in_progress: 0, other: 0 };
    const others = [];
    for (let b = 0; b < BURSTS; b++) {
      const before = upstream.requests.length;
      const key = `burst-${b}-${crypto.randomUUID()}`;
      const answers = await Promise.all(
        Array.from({ length: PER_BURST }, () => callWith({}, path, { method: 'POST', body: note, headers: { 'idempotency-key': key } })),
      );
      writesPerBurst.push(upstream.requests.length - before);
      const fresh = answers.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
      for (const r of answers) {
        if (r.status === 201 && r.headers.get('idempotent-replayed') === null) counts.created++;
        else if (r.status === 201 && r.headers.get('idempotent-replayed') === 'true' && fresh.length === 1 && r.text === fresh[0].text) counts.replayed++;
        else if (r.status === 409 && r.json?.code === 'idempotency_in_progress') counts.in_progress++;
        else {
          counts.other++;
          others.push({ burst: b, status: r.status, replayed: r.headers.get('idempotent-replayed'), code: r.json?.code });
        }
      }
    }
    const histogram = {};
    for (const w of writesPerBurst) histogram[w] = (histogram[w] ?? 0) + 1;
    console.log(
      `idempotency race: ${BURSTS} bursts × ${PER_BURST} concurrent POSTs; provider writes per burst ${JSON.stringify(writesPerBurst)}; ` +
        `bursts by writes ${JSON.stringify(histogram)}; responses: 201 ${counts.created}, replayed ${counts.replayed}, 409 in progress ${counts.in_progress}, other ${counts.other}` +
        (others.length ? ` ${JSON.stringify(others.slice(0, 5))}` : ''),
    );
    expect(writesPerBurst).toEqual(Array(BURSTS).fill(1));
    expect(counts).toEqual({ created: BURSTS, replayed: counts.replayed, in_progress: BURSTS * PER_BURST - BURSTS - counts.replayed, other: 0 });
  });
});

describe('IdempotencyKeys (the Durable Object)', () => {
  const stubFor = (name) => env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(name));

  it('claim, in progress, mismatch, stored replay (a body larger than one storage chunk), stale claims cannot store', async () => {
    const stub = stubFor(`unit-${crypto.randomUUID()}`);
    const claim = await stub.begin('fp-1');
    expect(claim).toEqual({ state: 'run', run: expect.any(String) });
    expect(await stub.begin('fp-1')).toEqual({ state: 'pending' });
    expect(await stub.begin('fp-2')).toEqual({ state: 'mismatch' });
    expect(await stub.finish('not-the-claim', { status: 201, headers: {}, body: 'x' })).toBe(false);
    const body = 'é'.repeat(100_000) + 'end';
    expect(await stub.finish(claim.run, { status: 201, headers: { 'content-type': 'application/json' }, body })).toBe(true);
    const done = await stub.begin('fp-1');
    expect(done).toMatchObject({ state: 'done', status: 201, headers: { 'content-type': 'application/json' } });
    expect(done.body).toBe(body);
    expect(await stub.begin('fp-2')).toEqual({ state: 'mismatch' });
  });

  it('records expire: a lapsed claim or an expired response frees the key; the alarm clears storage', async () => {
    const stub = stubFor(`unit-${crypto.randomUUID()}`);
    const first = await stub.begin('fp');
    const age = (by) => runInDurableObject(stub, (_obj, state) => {
      const r = state.storage.kv.get('record');
      state.storage.kv.put('record', { ...r, expires: r.expires - by });
    });
    await age(121_000); // past the 120 s claim
    const second = await stub.begin('fp');
    expect(second.state).toBe('run');
    expect(await stub.finish(first.run, { status: 201, headers: {}, body: 'late' })).toBe(false);
    expect(await stub.finish(second.run, { status: 201, headers: {}, body: 'ok' })).toBe(true);
    await age(24 * 60 * 60 * 1000 + 1000); // past the 24 h replay window
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_obj, state) => [...state.storage.kv.list()].length)).toBe(0);
    expect((await stub.begin('other')).state).toBe('run');
  });
});
