// Child process: time compiling and instantiating the wasm from cold.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const bytes = readFileSync(new URL(`../pkg/wasm/${process.argv[2] ?? 'crosswalk_core_bg.wasm'}`, import.meta.url));
const { initSync } = await import('../pkg/wasm/crosswalk_core.js');
const t0 = performance.now();
const module = new WebAssembly.Module(bytes);
const t1 = performance.now();
initSync({ module });
const t2 = performance.now();
process.send({ compileMs: t1 - t0, initMs: t2 - t1 });
process.disconnect();
