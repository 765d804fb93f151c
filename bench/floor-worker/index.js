// The bench's peers under workerd, with no crosswalk in between:
// GET /fetch?u=<url>: fetch the page, read it as text and answer it (the runtime's
//   own cost for the bytes a list request moves);
// GET /hand/hubspot?u=<url> and /hand/greenhouse?origin=<origin>: the same list
//   written by hand (bench/handwritten.mjs: fetch, JSON.parse, the lookups, a .map)
//   and answered in the list shape the crosswalk Worker answers;
// GET /health for readiness.
import { mapGreenhousePage, mapHubspotCallsPage } from '../handwritten.mjs';

const json = (value) => new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json' } });
const listed = (records) => json({ result: records, next_cursor: null, result_count: records.length });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    if (url.pathname === '/health') return new Response('{"ok":true}');
    if (url.pathname === '/hand/hubspot') return listed(mapHubspotCallsPage(await (await fetch(q.get('u'))).text()));
    if (url.pathname === '/hand/greenhouse') {
      const origin = q.get('origin');
      const page = await (await fetch(`${origin}/v3/interviews`)).text();
      return listed(await mapGreenhousePage((u) => fetch(u), origin, page));
    }
    const page = await (await fetch(q.get('u'))).text();
    return new Response(page, { headers: { 'content-type': 'application/json' } });
  },
};
