// The main thread on a demo page in real headless Chromium at 4x CPU slowdown (CDP
// Emulation.setCPUThrottlingRate): the longest task while the page loads and Attune starts,
// cold (empty cache) and warm (second visit, HTTP cache and stored profile), measured with
// the Long Tasks API (tasks over 50 ms) and, for every task, CDP's Performance timeline.
// Also the cumulative layout shift (layout-shift entries without recent input) and what the
// page requested from Attune (bytes over the wire). Prints JSON.
// Usage: node bench/main-thread.mjs [PAGE=/] (after scripts/build). Benchmark, not a test.
import { setup } from '../tests/e2e/helpers.mjs';

const page = process.argv[2] || '/';
const env = await setup();
const out = { page, cpuSlowdown: 4, runs: [] };
try {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    window.__long = [];
    window.__cls = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; }).observe({ type: 'layout-shift', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  const p = await context.newPage();
  const cdp = await context.newCDPSession(p);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  for (const visit of ['cold', 'warm']) {
    const bytes = {};
    const onResponse = async (r) => {
      const u = new URL(r.url());
      if (/attune|pkg\//.test(u.pathname)) {
        const sizes = await r.request().sizes().catch(() => null);
        bytes[u.pathname] = sizes ? sizes.responseBodySize + sizes.responseHeadersSize : null;
      }
    };
    p.on('response', onResponse);
    const t0 = Date.now();
    await p.goto(env.origin + page);
    const ready = await p.evaluate(() => window.attune.ready);
    await p.waitForFunction(() => [...document.querySelectorAll('attune-recs')].some((e) => e.shadowRoot && e.shadowRoot.querySelector('[part=link]')), null, { timeout: 30_000 });
    const firstPlacementMs = Date.now() - t0;
    await p.evaluate(() => new Promise((r) => setTimeout(r, 500)));
    const long = await p.evaluate(() => window.__long);
    const cls = await p.evaluate(() => Math.round(window.__cls * 1000) / 1000);
    p.off('response', onResponse);
    out.runs.push({ visit, ready, firstPlacementMs, longTasksMs: long.map((d) => Math.round(d)), longestMs: Math.round(Math.max(0, ...long)), cumulativeLayoutShift: cls, bytes });
  }
  await context.close();
} finally {
  await env.stop();
}
console.log(JSON.stringify(out, null, 2));
