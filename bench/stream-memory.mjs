// Child process: stream N records through client.unifiedApi.list() from a loopback
// server playing Greenhouse v3 (50 per page, Link cursors, lookups) and sample the JS heap and
// wasm memory. Run for 10,000 and 100,000 records: flat memory means the peaks match.
import http from 'node:http';
import { createClient } from '../pkg/entry.node.js';
import { greenhousePage, greenhouseLookup } from './workloads.mjs';

// Greenhouse v3 pages of 50 (the most ids one lookup request takes).
const PER_PAGE = 50;
const template = greenhousePage(PER_PAGE, 1);

function serve(total) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const rows = greenhouseLookup(req.url);
    if (rows) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(rows));
    }
    // v3 paging: the next page is a cursor (here the page number), the only parameter.
    const page = Number(url.searchParams.get('cursor') ?? 1);
    const start = (page - 1) * PER_PAGE;
    const items = template.slice(0, Math.max(0, Math.min(PER_PAGE, total - start))).map((r, i) => ({ ...r, id: start + i + 1 }));
    const headers = { 'content-type': 'application/json' };
    if (start + PER_PAGE < total) headers.link = `<http://${req.headers.host}/v3/interviews?cursor=${page + 1}>; rel="next"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify(items));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function run(total) {
  const server = await serve(total);
  const client = createClient({ accounts: [{ id: 'gh', provider: 'greenhouse', credentials: { access_token: 'k' }, base_url: `http://127.0.0.1:${server.address().port}` }] });
  globalThis.gc();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  let count = 0;
  for await (const r of client.unifiedApi.list('ats', 'interviews', { integrated_account_id: 'gh', limit: PER_PAGE })) {
    count++;
    if (count % PER_PAGE === 0) {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }
    if (r.id == null) throw new Error('record without id');
  }
  globalThis.gc();
  const after = process.memoryUsage();
  server.close();
  if (count !== total) throw new Error(`streamed ${count} of ${total}`);
  return { total, before: before.heapUsed, peak: peakHeap, after: after.heapUsed, peakRss };
}

const mb = (b) => (b / 1048576).toFixed(1);
const small = await run(10_000);
const large = await run(100_000);
process.send({
  small,
  large,
  summary: `${mb(large.before)} → ${mb(large.peak)} → ${mb(large.after)} MB (10,000 records: peak ${mb(small.peak)} MB; rss peak ${mb(large.peakRss)} vs ${mb(small.peakRss)} MB)`,
});
process.disconnect();
