// Runs fast-check properties deterministically: every run uses one seed (fixed,
// or CROSSWALK_PROPTEST_SEED, which `cargo xtask test --explore` draws fresh and
// prints), and every failure found is stored in tests/node/regressions/ and
// replayed first on every later run — the Node counterpart of proptest's
// proptest-regressions/.
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';

/** The seed CI runs from (the Rust properties use the same default). */
export const DEFAULT_SEED = 20_261_203;

function runSeed() {
  const text = process.env.CROSSWALK_PROPTEST_SEED;
  if (text === undefined || text.trim() === '') return DEFAULT_SEED;
  if (!/^\d+$/.test(text.trim())) throw new Error(`CROSSWALK_PROPTEST_SEED must be a whole number, got ${JSON.stringify(text)}`);
  return Number(BigInt(text.trim()) % 2n ** 53n);
}

export const SEED = runSeed();
// fast-check takes a 32-bit seed.
const FC_SEED = Number(BigInt(SEED) % 2n ** 32n) | 0;

const FILE = new URL('../regressions/properties.json', import.meta.url);

function stored() {
  try {
    return JSON.parse(readFileSync(FILE, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
}

function store(entry) {
  const all = stored();
  if (all.some((r) => r.property === entry.property && r.seed === entry.seed && r.path === entry.path)) return;
  all.push(entry);
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
}

function describe(value) {
  try {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 2000);
  } catch {
    return String(value).slice(0, 2000);
  }
}

/**
 * `fc.assert` with the run's seed; stored failures of `name` replay first. A
 * new failure is saved (seed, shrink path, counterexample) and the error says
 * how to reproduce it.
 */
export async function property(name, prop, params = {}) {
  for (const r of stored().filter((x) => x.property === name)) {
    const replay = await fc.check(prop, { ...params, seed: r.seed, path: r.path, endOnFailure: true });
    if (replay.failed) throw new Error(`${name}: stored regression (seed ${r.seed}, path ${r.path}) fails again\n${fc.defaultReportMessage(replay)}`);
  }
  const details = await fc.check(prop, { ...params, seed: FC_SEED });
  if (details.failed) {
    store({ property: name, seed: details.seed, path: details.counterexamplePath, counterexample: describe(details.counterexample) });
    throw new Error(
      `${name}: ${fc.defaultReportMessage(details)}\nproperty seed ${SEED}: reproduce with \`CROSSWALK_PROPTEST_SEED=${SEED} cargo xtask test node\`; ` +
        'the minimal case is saved in tests/node/regressions/properties.json and replays on every run',
    );
  }
}
