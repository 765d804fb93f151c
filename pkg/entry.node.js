// Node entry: load the wasm synchronously so `import` is all a caller writes. The
// build for speed (servers map pages of thousands of records; size matters less).
import { readFileSync } from 'node:fs';
import { initSync } from './wasm/crosswalk_core.js';

initSync({ module: readFileSync(new URL('./wasm/crosswalk_core_fast.wasm', import.meta.url)) });

export * from './core.js';
