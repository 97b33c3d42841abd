// Attune's bootstrap, the only hand-written JavaScript a shop serves (docs/integration.md).
// It finds its own <script> tag, fetches the Wasm and the model (checked against the tag's
// SRI values when given), starts the Rust widget, defines the two custom elements (every
// callback goes to Rust) and forwards window.attune there. Signals, storage, consent,
// rendering and the help prompts are all Rust (src/, crates/attune-prompts-web/).
//
// Every network use of Attune is in this file: the import of its own glue (which fetches
// its own .wasm), the fetch of the .wasm (with SRI) and of the model named by data-model,
// and the import of the prompts module on pages that configure prompts.

const w = window;
const d = document;
let widget = null; // the Rust Widget, once started
let prompts; // the prompts module's instance (a promise), once asked for
let wanted = false; // attune.prompts(config) was called
let chosen = false; // boot picked its module (with the prompts or without)
let handed = false; // the widget has its prompts
let wasmSri; // the tag's data-wasm-integrity (SRI takes a list: one value for every .wasm)
const calls = []; // window.attune calls made before the widget started (at most 500)
// Each start-up step in a task of its own where the browser can (scheduler.yield), so that
// none holds the main thread for long. (Not setTimeout: a timer also runs strings as code.)
const tick = () => w.scheduler && scheduler.yield && scheduler.yield();
const warn = (msg, e) => console.warn('attune: ' + msg + (e ? ' (' + (e.message || e) + ')' : ''));

if (!(w.attune && w.attune.ready)) start(w.attune);
// `import attune from '…/attune.js'` gives the same API as window.attune (types: attune.d.ts).
export default w.attune;

function start(prior) {
  let done;
  const ready = new Promise((r) => { done = r; });
  const call = (name) => (...args) => {
    try {
      if (widget) return widget[name](...args);
      if (calls.length < 500) calls.push([name, args]);
    } catch (e) {
      warn(name + ' failed', e);
    }
  };
  const api = {
    ready,
    track: call('track'),
    forget: call('forget'),
    consent: call('consent'),
    pause: call('pause'),
    context: call('context'),
    export: call('export'),
    async recommend(options) {
      return ((await ready) && call('recommend')(options || {})) || [];
    },
    prompts(config) {
      wanted = true;
      call('prompts')(config);
      // Before boot picked its module, it picks the one with the prompts (pkg/full/).
      if (chosen) loadPrompts().then((p) => ready.then((ok) => ok && p && !handed && (handed = true) && widget.setPrompter(p)));
    },
  };
  api.erase = api.forget;
  w.attune = api;
  // Events queued before this script ran: window.attune = {q: [{type, item}, …]}.
  if (prior && Array.isArray(prior.q)) for (const e of prior.q.slice(0, 500)) api.track(e);
  boot().then(done);
}

async function boot() {
  const tag = ownScript();
  const ds = (tag && tag.dataset) || {};
  try {
    if (!ds.model) throw new Error('the attune.js <script> tag needs data-model="/path/to/model.bin"');
    // A sharded model (data-model ends in "/", docs/model-format.md) starts from its head.bin.
    const dir = ds.model.endsWith('/');
    const url = new URL(dir ? ds.model + 'head.bin' : ds.model, d.baseURI);
    const max = +ds.maxModelBytes || 33554432; // 32 MiB: more than any real catalogue needs
    wasmSri = ds.wasmIntegrity;
    const modelSri = ds.modelIntegrity;
    // Fetch ignores SRI values it cannot use (unknown algorithm, bad base64) and then checks
    // nothing, so "required" also insists that every value is one the browser checks.
    const usable = (v) => !!v && v.trim().split(/\s+/).every((x) => /^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$/.test(x));
    if (ds.integrity === 'required' && !(usable(wasmSri) && usable(modelSri))) {
      throw new Error('data-integrity="required" needs checkable sha256/384/512 values in data-wasm-integrity and data-model-integrity');
    }
    if (dir && ds.integrity === 'required') throw new Error('data-integrity="required" cannot pin a sharded model yet: use its model.bin');
    const get = (u, sri) => fetch(u, { credentials: 'same-origin', integrity: sri || '' }).then(async (r) => {
      const big = (n) => { if (n > max) throw new Error('model ' + u.pathname + ' is over ' + max + ' bytes (data-max-model-bytes)'); };
      if (!r.ok) throw new Error('model ' + u.pathname + ': HTTP ' + r.status);
      big(+r.headers.get('content-length'));
      const b = await r.arrayBuffer();
      big(b.byteLength);
      return b;
    });
    const model = get(url, modelSri);
    model.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    // Pages that configure prompts (a data-attune-prompts element, or attune.prompts() from
    // any script that runs before the DOM is parsed) get one module with both the widget and
    // the prompts (pkg/full/): 29 KB gzip less than two modules (docs/performance.md).
    // (Module scripts run before DOMContentLoaded, in page order: wait for the ones after us.)
    const [nav] = performance.getEntriesByType('navigation');
    if (nav && !nav.domContentLoadedEventStart) await new Promise((r) => d.addEventListener('DOMContentLoaded', r, { once: true }));
    const full = wanted || !!d.querySelector('script[data-attune-prompts]');
    chosen = true;
    // The shard of the page's own item: named by the page (the tag's data-item, else the
    // first placement's item attribute), hashed here (FNV-1a of its UTF-8, masked by the
    // head's shard count): never the shopper's history, basket or consent (docs/privacy.md).
    const item = dir && (ds.item || d.querySelector('attune-recs[item]')?.getAttribute('item'));
    const shard = item && model.then((b) => {
      const n = shards(new DataView(b));
      let h = 0x811c9dc5;
      for (const c of new TextEncoder().encode(item)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
      return n && get(new URL('shard-' + (h & (n - 1)) + '.bin', url)).catch((e) => warn('the page item\'s lists are missing; showing what the head holds', e));
    });
    const [, bytes] = await Promise.all([
      (full ? import('./pkg/full/attune_full.js') : import('./pkg/attune_web.js')).then(async (m) => {
        // The .wasm is named relative to this file, not left to the glue: bundled into an
        // app's script, the glue's own default would point next to the bundle, not at pkg/.
        // With an SRI value it is fetched here, so the glue never fetches it unchecked.
        // (Each a literal `new URL('…', import.meta.url)`: bundlers such as Vite emit those.)
        const wasmUrl = full ? new URL('./pkg/full/attune_full_bg.wasm', import.meta.url) : new URL('./pkg/attune_web_bg.wasm', import.meta.url);
        await m.default({ module_or_path: wasmSri ? fetch(wasmUrl, { integrity: wasmSri, credentials: 'same-origin' }) : wasmUrl });
        await tick();
        if (full) prompts = Promise.resolve(new m.Prompts());
        // The widget starts before the model arrives: the page's signals, consent and
        // context() work meanwhile; what the shopper does is kept for start().
        widget = new m.Widget(tag);
        // dataLayer pushes from now on: each argument goes to Rust, which read the earlier ones.
        const dl = w.dataLayer;
        if (Array.isArray(dl)) {
          const push = dl.push;
          dl.push = function (...args) {
            const r = push.apply(this, args);
            for (const e of args) try { widget && widget.layer(e); } catch (_) { /* never break the page's push */ }
            return r;
          };
        }
        for (const [name, args] of calls.splice(0)) try { widget[name](...args); } catch (e) { warn(name + ' failed', e); }
        define((el, change) => widget.element(el, change));
      }),
      model,
    ]);
    // attune.prompts(config) may have come while the files loaded: the prompts start
    // before the kept events are recorded, so that they see those too.
    const p = (full || wanted) && (await loadPrompts());
    const sb = await shard;
    handed = !!p;
    await tick();
    widget.start(new Uint8Array(bytes), p || undefined, sb ? new Uint8Array(sb) : undefined);
    return true;
  } catch (e) {
    warn('recommendations are off', e);
    calls.length = 0;
    // Placements stay empty (their `empty` attribute lets the page release reserved space).
    if (widget) try { widget.fail(); } catch (_) { /* already off */ }
    else define((el, change) => change || (el.shadowRoot || el.attachShadow({ mode: 'open' }), el.toggleAttribute('empty', true)));
    return false;
  }
}

// The shard count in a sharded model's head: its SHRD section's second u32 (0: none).
function shards(v) {
  for (let i = 0, n = v.getUint32(8, true); i < n; i++) {
    const e = 12 + 12 * i;
    if (v.getUint32(e, true) === 0x44524853) { // "SHRD"
      const k = v.getUint32(v.getUint32(e + 4, true) + 4, true);
      return k & (k - 1) ? 0 : k;
    }
  }
  return 0;
}

// The help prompts: a second, small Wasm module, only for pages that configure prompts.
function loadPrompts() {
  return (prompts = prompts || import('./pkg/prompts/attune_prompts.js')
    .then(async (m) => {
      const u = new URL('./pkg/prompts/attune_prompts_bg.wasm', import.meta.url);
      await m.default({ module_or_path: wasmSri ? fetch(u, { integrity: wasmSri, credentials: 'same-origin' }) : u });
      return new m.Prompts();
    })
    .catch((e) => warn('help prompts are off', e)));
}

// Custom elements need a JS class; each callback is handed to Rust as (element, change):
// 0 connected, 1 disconnected, 2 an observed attribute changed.
function define(f) {
  for (const [name, observed] of [['attune-recs', ['placement', 'item', 'items', 'k', 'heading', 'min-score', 'fallback', 'layout']], ['attune-privacy', ['heading']]]) {
    if (!customElements.get(name)) {
      customElements.define(name, class extends HTMLElement {
        static get observedAttributes() { return observed; }
        connectedCallback() { f(this, 0); }
        disconnectedCallback() { f(this, 1); }
        attributeChangedCallback() { if (this.isConnected) f(this, 2); }
      });
    }
  }
}

// Module scripts have no document.currentScript: find our tag by its resolved URL. Bundled,
// that is the app's tag, which a bundler may rewrite without its data-* (Vite does): then the
// page's first script[data-model], which may be a data block (<script type="application/json">).
function ownScript() {
  for (const s of d.querySelectorAll('script[src]')) if (s.src === import.meta.url && s.dataset.model) return s;
  return d.querySelector('script[data-model]');
}
