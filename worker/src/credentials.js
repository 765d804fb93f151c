// Credentials at rest: AES-256-GCM (Web Crypto) with a fresh 12-byte IV per write.
// The additional data binds a sealed blob to its tenant, account id and key id, so
// a blob copied onto another account does not open. Keys are Worker secrets:
// CREDENTIALS_KEY (base64 of 32 random bytes) seals and opens; CREDENTIALS_KEY_PREVIOUS
// (optional) only opens, so the key can be rotated without losing accounts (the
// next write re-seals with the current key).
import { HttpError } from './http.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VERSION = 1;

export function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function keyError(code, message) {
  // A deployment problem, not the caller's: 500 with a message that names the fix.
  return new HttpError(500, code, message);
}

/** Imported keys by their base64 text (a Worker isolate reuses them). */
const imported = new Map();

async function importKey(name, text) {
  if (imported.has(text)) return imported.get(text);
  let raw;
  try {
    raw = fromBase64(text.trim());
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.byteLength !== 32) throw keyError('credentials_key_invalid', `${name} must be 32 random bytes, base64-encoded`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  // The key id says which key sealed a blob; 8 bytes of its hash reveal nothing usable.
  const kid = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const entry = { kid, key };
  imported.set(text, entry);
  return entry;
}

async function keysOf(env) {
  const keys = [];
  if (env.CREDENTIALS_KEY) keys.push(await importKey('CREDENTIALS_KEY', env.CREDENTIALS_KEY));
  if (env.CREDENTIALS_KEY_PREVIOUS) keys.push(await importKey('CREDENTIALS_KEY_PREVIOUS', env.CREDENTIALS_KEY_PREVIOUS));
  return keys;
}

const additionalData = (kid, tenant, id) => encoder.encode(`crosswalk:credentials:v${VERSION}:${kid}:${tenant}:${id}`);

/** Whether this deployment can store credentials (CREDENTIALS_KEY is set). */
export const canSeal = (env) => Boolean(env.CREDENTIALS_KEY);

/** `{ v, kid, iv, data }`: the credentials object sealed for one account. */
export async function sealCredentials(env, tenant, id, credentials) {
  if (!canSeal(env)) {
    throw keyError('credentials_key_missing', 'this deployment has no CREDENTIALS_KEY secret (32 random bytes, base64), so it cannot store credentials');
  }
  const { kid, key } = await importKey('CREDENTIALS_KEY', env.CREDENTIALS_KEY);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = encoder.encode(JSON.stringify(credentials));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(kid, tenant, id) }, key, plain));
  return { v: VERSION, kid, iv: toBase64(iv), data: toBase64(data) };
}

/** The credentials object of a sealed blob, with the current or the previous key. */
export async function openCredentials(env, tenant, id, sealed) {
  const match = (await keysOf(env)).find((k) => k.kid === sealed?.kid);
  if (!match || sealed.v !== VERSION) {
    throw keyError('credentials_key_unknown', `account ${JSON.stringify(id)} was sealed with a key this deployment no longer has (set it as CREDENTIALS_KEY_PREVIOUS)`);
  }
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64(sealed.iv), additionalData: additionalData(match.kid, tenant, id) },
      match.key,
      fromBase64(sealed.data),
    );
    return JSON.parse(decoder.decode(plain));
  } catch {
    throw keyError('credentials_unreadable', `the stored credentials of account ${JSON.stringify(id)} do not open (altered, or moved from another account)`);
  }
}

/** Whether a sealed blob was made with the current key (else the next write re-seals it). */
export async function sealedWithCurrentKey(env, sealed) {
  if (!canSeal(env)) return false;
  return (await importKey('CREDENTIALS_KEY', env.CREDENTIALS_KEY)).kid === sealed?.kid;
}
