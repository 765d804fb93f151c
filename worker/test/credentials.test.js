// Credentials at rest (worker/src/credentials.js): AES-256-GCM, bound to tenant and
// account id, rotatable, and never readable without the key.
import { describe, it, expect } from 'vitest';
import { env } from 'cloudflare:test';
import { sealCredentials, openCredentials } from '../src/credentials.js';
import { call, callWith, accountKey, putAccount } from './helpers.js';

const OLD = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const NEW = 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=';
const CREDS = { api_key: 'sk-live-4f1c9e', password: 'hunter2-pass' };

const codeOf = async (promise) => promise.then(() => 'opened', (e) => e.code);

describe('sealed credentials', () => {
  it('a fresh IV per write; only the same tenant and id open it', async () => {
    const a = await sealCredentials({ CREDENTIALS_KEY: OLD }, 't1', 'acc', CREDS);
    const b = await sealCredentials({ CREDENTIALS_KEY: OLD }, 't1', 'acc', CREDS);
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
    expect(JSON.stringify(a)).not.toContain('sk-live');
    expect(await openCredentials({ CREDENTIALS_KEY: OLD }, 't1', 'acc', a)).toEqual(CREDS);
    expect(await codeOf(openCredentials({ CREDENTIALS_KEY: OLD }, 't1', 'other', a))).toBe('credentials_unreadable');
    expect(await codeOf(openCredentials({ CREDENTIALS_KEY: OLD }, 't2', 'acc', a))).toBe('credentials_unreadable');
    const flipped = { ...a, data: (a.data[0] === 'A' ? 'B' : 'A') + a.data.slice(1) };
    expect(await codeOf(openCredentials({ CREDENTIALS_KEY: OLD }, 't1', 'acc', flipped))).toBe('credentials_unreadable');
  });

  it('rotation: the previous key still opens, a key that is gone is a clear error, a bad key is refused', async () => {
    const sealed = await sealCredentials({ CREDENTIALS_KEY: OLD }, 't', 'acc', CREDS);
    expect(await openCredentials({ CREDENTIALS_KEY: NEW, CREDENTIALS_KEY_PREVIOUS: OLD }, 't', 'acc', sealed)).toEqual(CREDS);
    expect(await codeOf(openCredentials({ CREDENTIALS_KEY: NEW }, 't', 'acc', sealed))).toBe('credentials_key_unknown');
    expect(await codeOf(sealCredentials({ CREDENTIALS_KEY: 'c2hvcnQ=' }, 't', 'acc', CREDS))).toBe('credentials_key_invalid');
    expect(await codeOf(sealCredentials({}, 't', 'acc', CREDS))).toBe('credentials_key_missing');
  });

  it('an account stored before sealing is sealed on its first use, and still works', async () => {
    await putAccount({ id: 'legacy-1', provider: 'lever', credentials: { api_key: 'legacy-plain-key' } });
    expect(await env.ACCOUNTS.get(accountKey('legacy-1'))).toContain('legacy-plain-key');
    const one = await call('/integrated-accounts/legacy-1', {});
    expect(one.status).toBe(200);
    expect(one.json.credentials_set).toEqual(['api_key']);
    const raw = await env.ACCOUNTS.get(accountKey('legacy-1'));
    expect(raw).not.toContain('legacy-plain-key');
    expect(JSON.parse(raw).credentials_sealed.kid).toMatch(/^[0-9a-f]{16}$/);
  });

  it('an account sealed with a key that is gone can still be read and deleted, but not used', async () => {
    await call('/integrated-accounts', { method: 'POST', body: { id: 'lost-key-1', provider: 'lever', credentials: { api_key: 'lost-key-secret' } } });
    const other = { CREDENTIALS_KEY: NEW };
    const used = await callWith(other, '/unified/ats/activities?integrated_account_id=lost-key-1', { method: 'POST', body: { candidate_id: 'c', body: 'x' } });
    expect(used.status).toBe(500);
    expect(used.json.code).toBe('credentials_key_unknown');
    expect(used.text).not.toContain('lost-key-secret');
    expect((await callWith(other, '/integrated-accounts/lost-key-1', {})).json.credentials_set).toEqual(['api_key']);
    expect((await callWith(other, '/integrated-accounts/lost-key-1', { method: 'DELETE' })).status).toBe(200);
    expect(await env.ACCOUNTS.get(accountKey('lost-key-1'))).toBeNull();
  });

  it('a deployment without CREDENTIALS_KEY refuses to store credentials (structured 500), not stores them in plaintext', async () => {
    const r = await callWith({ CREDENTIALS_KEY: undefined }, '/integrated-accounts', {
      method: 'POST',
      body: { id: 'nokey-1', provider: 'lever', credentials: { api_key: 'never-stored' } },
    });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ statusCode: 500, code: 'credentials_key_missing' });
    expect(await env.ACCOUNTS.get(accountKey('nokey-1'))).toBeNull();
  });
});
