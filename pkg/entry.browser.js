// Browser entry: fetch and instantiate the wasm next to this file (top-level await),
// so importing the module is all a page does.
import init from './wasm/crosswalk_core.js';

await init({ module_or_path: new URL('./wasm/crosswalk_core_bg.wasm', import.meta.url) });

export * from './core.js';
