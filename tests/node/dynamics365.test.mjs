// Dynamics 365 (Dataverse Web API) through the built npm package against a
// loopback server: exact create request, representation mapped back, and list
// paging through @odata.nextLink kept on the account's origin.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'crosswalk';
import { startServer, script, fixture } from './helpers/server.mjs';

const TOKEN = 'dyn-access-token';
const CONTACT = '00000000-0000-0000-0000-000000000001';
const USER = '00000000-0000-0000-0000-000000000002';
const OPP = '00000000-0000-0000-0000-000000000003';
const ANNOTATIONS = 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"';

async function withDynamics(handler, fn) {
  const server = await startServer(handler);
  const client = createClient({
    accounts: [{ id: 'acc1', provider: 'dynamics365', base_url: server.origin, credentials: { access_token: TOKEN }, context: { instance_url: 'https://contoso.crm.dynamics.com' } }],
    sleep: async () => {},
  });
  try {
    await fn({ client, server });
  } finally {
    await server.close();
  }
}

test('dynamics365: phone call create with binds and parties, 201 representation mapped', async () => {
  const resp = await fixture('dynamics365/assembled.phonecall.create.response.json');
  await withDynamics(script({ status: 201, body: resp }), async ({ client, server }) => {
    const out = await client.unifiedApi.create('crm', 'engagements', {
      engagement_type: 'call', subject: 'Call with Jane', direction: 'outbound', start_time: '2024-01-15T10:00:00Z', duration: 900,
      phone_numbers: [{ number: '+1 555 0100' }], owner: { id: USER }, contacts: [{ id: CONTACT }], opportunity: { id: OPP },
    }, { integrated_account_id: 'acc1' });
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/data/v9.2/phonecalls');
    assert.equal(req.query.$expand, 'phonecall_activity_parties($select=participationtypemask,_partyid_value)');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(req.headers.prefer, `return=representation,${ANNOTATIONS}`);
    assert.equal(req.headers['odata-version'], '4.0');
    assert.deepEqual(req.json, {
      subject: 'Call with Jane', directioncode: true, scheduledstart: '2024-01-15T10:00:00Z', actualdurationminutes: 15, phonenumber: '+1 555 0100',
      'ownerid@odata.bind': `/systemusers(${USER})`, 'regardingobjectid_opportunity_phonecall@odata.bind': `/opportunities(${OPP})`,
      phonecall_activity_parties: [{ 'partyid_contact@odata.bind': `/contacts(${CONTACT})`, participationtypemask: 2 }],
    });
    assert.equal(out.id, 'call:6b1a3f40-8d2e-ef11-8409-000d3a5a1c21');
    assert.deepEqual(out.contacts, [{ id: CONTACT }]);
    assert.deepEqual(out.opportunity, { id: OPP });
    assert.equal(out.duration, 900);
  });
});

test('dynamics365: list of notes follows @odata.nextLink on the account origin', async () => {
  const p1 = await fixture('dynamics365/assembled.annotations.list.page1.response.json');
  const p2 = await fixture('dynamics365/assembled.annotations.list.page2.response.json');
  await withDynamics(script({ status: 200, body: p1 }, { status: 200, body: p2 }), async ({ client, server }) => {
    const ids = [];
    for await (const r of client.unifiedApi.list('crm', 'engagements', { integrated_account_id: 'acc1', engagement_type: 'note', limit: 2 })) ids.push(r.id);
    assert.equal(ids.length, 3);
    assert.equal(server.requests.length, 2, 'the nextLink (contoso host) was rebased onto the loopback origin');
    assert.equal(server.requests[0].path, '/api/data/v9.2/annotations');
    assert.equal(server.requests[1].path, '/api/data/v9.2/annotations');
    assert.ok(server.requests[1].query.$skiptoken.includes('pagenumber="2"'));
    for (const r of server.requests) assert.equal(r.headers.prefer, `${ANNOTATIONS},odata.maxpagesize=2`);
  });
});
