// Invariants shared by the property and security tests: every call ends in a
// value or a well-formed CrosswalkError; JS prototypes stay untouched; results
// are plain JSON data; nothing shown carries a secret.
import assert from 'node:assert/strict';
import { CrosswalkError } from 'crosswalk';

const pristine = {
  object: Reflect.ownKeys(Object.prototype).map(String).join(','),
  array: Reflect.ownKeys(Array.prototype).map(String).join(','),
  fn: Reflect.ownKeys(Function.prototype).map(String).join(','),
};

/** Object.prototype, Array.prototype and Function.prototype are as they were. */
export function assertPrototypesUntouched() {
  assert.equal(Reflect.ownKeys(Object.prototype).map(String).join(','), pristine.object, 'Object.prototype changed');
  assert.equal(Reflect.ownKeys(Array.prototype).map(String).join(','), pristine.array, 'Array.prototype changed');
  assert.equal(Reflect.ownKeys(Function.prototype).map(String).join(','), pristine.fn, 'Function.prototype changed');
  assert.equal({}.polluted, undefined);
}

/** The unified error shape. */
export function assertErrorShape(e) {
  assert.ok(e instanceof CrosswalkError, `not a CrosswalkError: ${e?.name}: ${e?.message}\n${e?.stack}`);
  const j = e.toJSON();
  assert.ok(Number.isInteger(j.statusCode) && j.statusCode >= 400 && j.statusCode <= 599, `statusCode ${j.statusCode}`);
  assert.equal(typeof j.error, 'string');
  assert.equal(typeof j.code, 'string');
  assert.equal(typeof j.message, 'string');
  assert.ok(Array.isArray(j.details), 'details is not an array');
  assert.equal(e.statusCode, j.statusCode);
  return j;
}

/** Runs `fn`; returns `{ value }` or `{ error }` (a checked CrosswalkError). Anything else fails. */
export async function settle(fn) {
  try {
    return { value: await fn() };
  } catch (e) {
    if (!(e instanceof CrosswalkError)) {
      const err = new Error(`threw ${e?.name ?? typeof e} instead of a CrosswalkError: ${e?.message}`);
      err.cause = e;
      throw err;
    }
    return { error: e, json: assertErrorShape(e) };
  }
}

/** Every object in `v` is a plain object or array (what JSON.parse makes). */
export function assertPlainData(v, path = '$') {
  if (v === null || typeof v !== 'object') {
    assert.ok(['string', 'number', 'boolean'].includes(typeof v) || v === null, `${path} is a ${typeof v}`);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  assert.ok(proto === Object.prototype || proto === Array.prototype || proto === null, `${path} has an unexpected prototype`);
  for (const k of Object.keys(v)) assertPlainData(v[k], `${path}.${k}`);
}

/** None of `secrets` (8+ characters) appears in `text`. */
export function assertNoSecret(text, secrets, where) {
  for (const s of secrets) {
    if (s && s.length >= 8) assert.ok(!text.includes(s), `${where} shows a secret (${s.slice(0, 6)}…): ${text.slice(0, 400)}`);
  }
}

/** Replaces node `n` (preorder, modulo the node count) of a JSON value. */
export function replaceNode(v, n, withValue) {
  const nodes = [];
  const walk = (x, set) => {
    nodes.push(set);
    if (x && typeof x === 'object') for (const k of Object.keys(x)) walk(x[k], (nv) => Object.defineProperty(x, k, { value: nv, enumerable: true, writable: true, configurable: true }));
  };
  let root = v;
  walk(v, (nv) => {
    root = nv;
  });
  nodes[n % nodes.length](withValue);
  return root;
}
