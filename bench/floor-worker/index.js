// GET /fetch?u=<url>: fetch the page, read it as text and answer it (the runtime's
// own cost for the bytes a list request moves). GET /health for readiness.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/health') return new Response('{"ok":true}');
    const page = await (await fetch(url.searchParams.get('u'))).text();
    return new Response(page, { headers: { 'content-type': 'application/json' } });
  },
};
