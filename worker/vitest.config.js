// Worker tests run inside workerd through @cloudflare/vitest-pool-workers, with the
// bindings from wrangler.jsonc (KV namespaces, Durable Objects, vars) plus test API
// tokens: two bare ones (tenant `default`) and two of tenant `beta`, and a
// credentials key.
import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

const here = (p) => new URL(p, import.meta.url).pathname;

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: here('./src/index.js'),
      wrangler: { configPath: here('./wrangler.jsonc') },
      miniflare: {
        // Every var set here, so a developer's worker/.dev.vars cannot change the tests.
        bindings: { API_TOKENS: 'test-token-1, test-token-2, beta:test-token-b1,beta:test-token-b2', MAX_BODY_BYTES: '4096', ALLOW_BASE_URL_OVERRIDE: 'false', CORS_ALLOW_ORIGIN: '*',
          // A fixed test key: credentials are sealed at rest (worker/src/credentials.js).
          CREDENTIALS_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
          // The OAuth app the token and connect tests renew and connect HubSpot accounts with.
          OAUTH_APPS: JSON.stringify({ hubspot: { client_id: 'hs-app', client_secret: 'hs-app-secret-1' } }) },
      },
    }),
  ],
  // The repo root, so the package's wasm (../pkg/wasm) is inside the module root.
  root: here('..'),
  test: {
    include: ['worker/test/**/*.test.js'],
  },
});
