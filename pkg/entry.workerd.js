// Cloudflare Workers entry: workerd compiles wasm only from module imports, so the
// module is imported (wrangler bundles it) and instantiated synchronously.
import wasmModule from './wasm/crosswalk_core_bg.wasm';
import { initSync } from './wasm/crosswalk_core.js';

initSync({ module: wasmModule });

export * from './core.js';
