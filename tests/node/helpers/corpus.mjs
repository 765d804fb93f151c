// Valid starting inputs for every op of every provider (the JS twin of
// src/test_corpus.rs): candidate requests plus the recorded fixture cases, kept
// when `plan` accepts them. Property and security tests mutate these, so they
// get past validation into each provider's request building and mapping.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { plan, providers, CrosswalkError } from 'crosswalk';

const FIXTURES = new URL('../../fixtures/', import.meta.url);

export const credentials = () => ({ api_key: 'KEY-cw-7f3a91', access_token: 'TOK-cw-0c44e2', user_id: '5aaa9b009007ba08c9ebaef7' });

export function context(provider) {
  const c = {
    company_id: '12345', subdomain: 'acme', bundle_alias: 'acme', user_email: 'api@example.com',
    user_id: '5aaa9b009007ba08c9ebaef7', organization_urn: 'urn:li:organization:2414183', region: 'eu',
  };
  if (provider === 'salesforce') c.instance_url = 'https://acme.my.salesforce.com';
  if (provider === 'dynamics365') c.instance_url = 'https://acme.crm.dynamics.com';
  if (provider === 'pipedrive') c.api_domain = 'https://acme.pipedrive.com';
  if (provider === 'fountain' || provider === 'zoho_crm') delete c.region;
  return c;
}

export const account = (provider) => ({ id: 'acc1', provider, credentials: credentials(), context: context(provider) });

const TYPES = ['note', 'call', 'meeting', 'email', 'task'];

function candidates(model, resource, method) {
  const out = [];
  for (const id of ['1001', '7a1b2c3d-0000-4000-8000-000000001001']) {
    if (model === 'ats' && resource === 'activities' && method === 'create') {
      out.push({ body: { candidate_id: id, body: 'Strong onsite', visibility: 'public' } });
      out.push({ body: { id: 'note-1', application_id: id, body: 'Strong onsite', author: { first_name: 'Ada', last_name: 'Lovelace' } } });
    } else if (model === 'ats' && method === 'list') {
      out.push({ query: {} }, { query: { candidate_id: id } }, { query: { application_id: id } });
    } else if (model === 'ats' && (method === 'get' || method === 'delete')) {
      out.push({ id, query: {} }, { id, query: { application_id: id } });
    } else if (model === 'crm' && method === 'create') {
      for (const engagement_type of TYPES) {
        for (const link of [{ contacts: [{ id }] }, { account: { id } }, { contacts: [{ id }], account: { id } }]) {
          const timed = { start_time: '2026-01-05T10:00:00Z', end_time: '2026-01-05T10:30:00Z', owner: { id } };
          out.push({ body: { engagement_type, subject: 'Quarterly sync', content: 'Talked about the renewal', ...link } });
          out.push({ body: { engagement_type, subject: 'Quarterly sync', content: 'Talked about the renewal', ...link, ...timed, ...(engagement_type === 'call' ? { direction: 'outbound', duration: 1800 } : {}) } });
        }
      }
    } else if (model === 'crm' && method === 'list') {
      out.push({ query: {} });
      for (const f of ['contact_id', 'account_id']) for (const t of [undefined, ...TYPES]) out.push({ query: t ? { [f]: id, engagement_type: t } : { [f]: id } });
    } else if (model === 'crm' && method === 'get') {
      out.push({ id, query: {} }, ...TYPES.map((t) => ({ id, query: { engagement_type: t } })));
    }
  }
  return out;
}

function accepted(input) {
  try {
    plan(input);
    return true;
  } catch (e) {
    if (e instanceof CrosswalkError) return false;
    throw e;
  }
}

function fixtureSeeds() {
  const out = [];
  for (const dir of readdirSync(FIXTURES)) {
    const cases = new URL(`${dir}/cases/`, FIXTURES);
    if (!existsSync(cases)) continue;
    for (const f of readdirSync(cases).sort()) {
      const c = JSON.parse(readFileSync(new URL(f, cases), 'utf8'));
      const input = { account: c.account, model: c.model, resource: c.resource, method: c.method, id: c.id ?? undefined, body: c.body ?? null, query: c.query ?? {} };
      if (accepted(input)) out.push({ ...input, responses: (c.exchanges ?? []).map((x) => x.response) });
    }
  }
  return out;
}

let cached;
/** Every accepted seed: `{ account, model, resource, method, id?, body, query, responses[] }`. */
export function seeds() {
  if (cached) return cached;
  cached = fixtureSeeds();
  for (const p of providers()) {
    for (const r of p.resources) {
      for (const method of r.methods) {
        let kept = 0;
        for (const c of candidates(r.model, r.resource, method)) {
          if (kept >= 6) break;
          const input = { account: account(p.name), model: r.model, resource: r.resource, method, id: c.id, body: c.body ?? null, query: c.query ?? {}, responses: [] };
          if (accepted(input)) {
            cached.push(input);
            kept++;
          }
        }
      }
    }
  }
  return cached;
}

/** Every `*response*.json` body in a provider's fixture folder. */
export function providerResponses(provider) {
  const dir = new URL(`${provider}/`, FIXTURES);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.includes('response') && f.endsWith('.json')).sort().map((f) => readFileSync(new URL(f, dir), 'utf8'));
}

/** `host` is one of `patterns` (`*.x` = any subdomain of x). */
export function hostAllowed(host, patterns) {
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p));
}

/**
 * Runs a seed-shaped input (`{ model, resource, method, id?, body? }`) through a
 * client's unifiedApi; a list returns its first `pageLimit` pages.
 */
export async function runOp(api, input, query, pageLimit) {
  switch (input.method) {
    case 'create': return api.create(input.model, input.resource, input.body, query);
    case 'get': return api.get(input.model, input.resource, input.id ?? '', query);
    case 'update': return api.update(input.model, input.resource, input.id ?? '', input.body, query);
    case 'delete': return api.delete(input.model, input.resource, input.id ?? '', query);
    default: {
      const pages = [];
      for await (const p of api.list(input.model, input.resource, query).pages()) {
        pages.push(p);
        if (pages.length >= pageLimit) break;
      }
      return pages;
    }
  }
}
