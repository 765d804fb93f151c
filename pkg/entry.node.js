// Node entry: load the wasm synchronously so `import` is all a caller writes.
import { readFileSync } from 'node:fs';
import { initSync } from './wasm/crosswalk_core.js';

initSync({ module: readFileSync(new URL('./wasm/crosswalk_core_bg.wasm', import.meta.url)) });

export * from './core.js';
