// A runnable tour against the embedded sandbox provider: no credentials, no network.
import { createClient, plan, validate, coverage } from 'crosswalk';

const client = createClient({ accounts: [{ id: 'sandbox-1', provider: 'sandbox' }] });
const q = { integrated_account_id: 'sandbox-1' };

console.log('1. Create a note (ats/activities):');
console.log(await client.unifiedApi.create('ats', 'activities', { candidate_id: 'cand_1', body: 'Great first call', visibility: 'private' }, q));

console.log('\n2. Validation before anything is sent (Lever, three problems at once):');
console.log(validate({ provider: 'lever', model: 'ats', resource: 'activities', method: 'create', body: { visibility: 'private' } }).errors);

console.log('\n3. The exact provider request, secrets redacted (Ashby):');
console.log(plan({ account: { provider: 'ashby', credentials: { api_key: 'sk_demo_secret' } }, model: 'ats', resource: 'activities', method: 'create', body: { candidate_id: 'c1', body: 'hi' } }).requests[0]);

console.log('\n4. Every interview across pages (ats/interviews list, 25 per page):');
let n = 0;
for await (const interview of client.unifiedApi.list('ats', 'interviews', { ...q, limit: 25 })) n++;
console.log(`${n} interviews`);

console.log('\n5. Coverage of ats/activities create:');
const cov = coverage().ats.activities.create;
console.log(Object.fromEntries(Object.entries(cov.request).map(([f, per]) => [f, Object.entries(per).filter(([, c]) => c.supported).map(([p]) => p).join(', ')])));
