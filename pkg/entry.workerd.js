// Cloudflare Workers entry: workerd compiles wasm only from module imports, so the
// module is imported (wrangler bundles it) and instantiated synchronously. The build
// for speed: a Worker pays CPU time per request.
import wasmModule from './wasm/crosswalk_core_fast.wasm';
import { initSync } from './wasm/crosswalk_core.js';

initSync({ module: wasmModule });

export * from './core.js';
