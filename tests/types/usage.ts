// Compiled with `tsc --noEmit` in the test run: the package's types must accept
// documented usage and reject wrong shapes.
import { createClient, plan, validate, validateAccount, coverage, CrosswalkError, type AtsActivitiesRecord } from 'crosswalk';

const client = createClient({ accounts: [{ id: 'acc1', provider: 'lever', credentials: { api_key: 'k' } }] });

async function main() {
  const note: AtsActivitiesRecord = await client.unifiedApi.create('ats', 'activities', { candidate_id: 'c', body: 'b', visibility: 'private' }, { integrated_account_id: 'acc1' });
  console.log(note.id, note.visibility);
  for await (const interview of client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'acc1', start_at: '2024-01-01T00:00:00Z' })) {
    console.log(interview.status, interview.start_at);
  }
  const page = await client.unifiedApi.list('crm', 'engagements', { integrated_account_id: 'acc1' });
  console.log(page.next_cursor, page.result_count);
  // @ts-expect-error visibility must be one of the unified values
  await client.unifiedApi.create('ats', 'activities', { candidate_id: 'c', visibility: 'secret' }, { integrated_account_id: 'acc1' });
  try {
    plan({ account: { provider: 'ashby' }, model: 'ats', resource: 'activities', method: 'create', body: {} });
  } catch (e) {
    if (e instanceof CrosswalkError) console.log(e.statusCode, e.details[0]?.field, e.code === 'validation_failed');
  }
  const v = validate({ provider: 'ashby', model: 'ats', resource: 'activities', method: 'create', body: {} });
  console.log(v.valid, coverage().ats?.activities?.create?.request.candidate_id?.ashby?.required);
  const a = validateAccount({ provider: 'lever', credentials: { api_key: 'k' } });
  if (!a.valid) console.log(a.errors.map((e) => e.field));
}
void main;

async function syncNotes() {
  const records = [{ application_id: 'app-1', id: 'note-1', body: 'Phone screen went well', created_at: '2024-06-15T10:00:00Z', author: { first_name: 'Angela', last_name: 'Smith' } }];
  const report = await client.sync('ats', 'activities', records, { integrated_account_id: 'acc1' }, { wait: false, maxWaitMs: 5000 });
  const total: number = report.counts.synced + report.counts.failed + report.counts.not_sent;
  for (const line of report.not_sent) if (line.reason === 'budget_exhausted') console.log(line.retry_at, total);
  for (const f of report.failed) console.log(f.index, f.status, f.retryable);
  await client.sync('ats', 'activities', records, { integrated_account_id: 'acc1' }, { budget: report.budget });
  // @ts-expect-error author names are strings
  await client.sync('ats', 'activities', [{ application_id: 'a', id: 'n', body: 'b', author: { first_name: 1 } }], { integrated_account_id: 'acc1' });
}
void syncNotes;

async function passthroughCalls() {
  const r = await client.passthrough({ method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: 10, properties: ['email', 'firstname'] } }, { integrated_account_id: 'acc1' });
  const status: number = r.status;
  console.log(status, r.headers['content-type'], r.body);
  await client.passthrough({ method: 'POST', path: '/crm/v3/objects/contacts', body: { properties: { email: 'a@b.example' } } }, { integrated_account_id: 'acc1', deadlineMs: 5000 });
  // @ts-expect-error TRACE is not a passthrough method
  await client.passthrough({ method: 'TRACE', path: '/x' }, { integrated_account_id: 'acc1' });
  // @ts-expect-error the account is required
  await client.passthrough({ method: 'GET', path: '/x' }, {});
}
void passthroughCalls;

// OAuth accounts: apps per provider, persisted renewals, the connect flow.
{
  const client = createClient({
    accounts: [{ id: 'hs', provider: 'hubspot', credentials: { access_token: 'a', refresh_token: 'r', expires_at: '2026-01-01T00:00:00Z' } }],
    oauthApps: { hubspot: { client_id: 'id', client_secret: 'secret' } },
    onCredentials: async (accountId: string, renewed) => {
      const token: string | undefined = renewed.credentials.refresh_token;
      void accountId;
      void token;
    },
  });
  const url: string = client.oauth.authorizeUrl({ provider: 'hubspot', redirectUri: 'https://app.example/cb', state: 's', codeChallenge: 'c' });
  void url;
  void client.oauth.exchangeCode({ provider: 'hubspot', code: 'c', redirectUri: 'https://app.example/cb', codeVerifier: 'v' }).then((r) => r.context);
  void client.oauth.refresh('hs', { force: true });
}
