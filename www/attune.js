// Attune loader (docs/integration.md): defines window.attune at once, queueing track()
// until ready; fetches only the Wasm (via ./pkg/attune_web.js) and the model; defines
// <attune-recs>, rendered by Rust. Never breaks the host page: any failure is one
// console.warn and empty placements. No eval, innerHTML or inline styles.

const w = window;
const warned = new Set();
const warn = (msg, err) => {
  const text = 'attune: ' + msg + (err ? ' (' + ((err && err.message) || err) + ')' : '');
  if (!warned.has(text)) { warned.add(text); console.warn(text); }
};

if (!(w.attune && w.attune.ready)) start(w.attune);

function start(prior) {
  const queue = [];
  const live = new Set();
  const dirty = new Set();
  let engine = null;
  // Help prompts (docs/prompts.md): ./attune-prompts.js, loaded only for a page that
  // configures them (attune.prompts(config) or <script data-attune-prompts>); it sees every
  // tracked event.
  let prompter = null;
  let promptConfig;
  const startPrompts = () => {
    try { prompter.startPrompts(promptConfig, Date.now(), true); } catch (e) { warn('help prompts are off', e); }
  };
  const loadPrompts = () => import('./attune-prompts.js').catch((e) => warn('help prompts are off', e));
  let failed = false;
  let flushing = false;
  let resolveReady;
  const ready = new Promise((r) => { resolveReady = r; });

  // Ids may be numbers (many SKUs are numeric); other types become '' and are refused.
  const asId = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

  const apply = (event, at) => {
    if (prompter) prompter.promptSignal(event, at);
    try {
      engine.track(String(event && event.type), asId(event && event.item), at);
    } catch (e) {
      warn('track ignored an event', e);
    }
  };

  const paint = (el) => {
    try {
      engine.render(el);
    } catch (e) {
      warn('could not render a placement', e);
      try { if (el.shadowRoot) el.shadowRoot.replaceChildren(); } catch (_) { /* leave it */ }
    }
  };

  const schedule = (el) => {
    dirty.add(el);
    if (!flushing) {
      flushing = true;
      queueMicrotask(() => {
        flushing = false;
        for (const e of dirty) { dirty.delete(e); if (e.isConnected) paint(e); }
      });
    }
  };

  // Placements that depend on the profile (all but "similar") follow its changes.
  const refresh = () => {
    for (const el of live) if (el.getAttribute('placement') !== 'similar') schedule(el);
  };

  const api = {
    ready,
    track(event) {
      const at = Date.now();
      if (failed) return;
      if (!engine) { if (queue.length < 500) queue.push([event, at]); return; }
      apply(event, at);
      refresh();
    },
    async recommend(opts) {
      const o = opts || {};
      if (!(await ready)) return [];
      try {
        const k = o.k == null ? undefined : Math.max(1, Math.floor(Number(o.k)) || 1);
        const ids = o.history != null
          ? engine.recommendIds(Array.isArray(o.history) ? o.history.map(asId).join(' ') : String(o.history), k || 10)
          : engine.placementIds(String(o.placement || 'for-you'), o.item == null ? undefined : asId(o.item), k);
        return ids ? ids.split(' ') : [];
      } catch (e) {
        warn('recommend failed', e);
        return [];
      }
    },
    forget() {
      if (engine) { try { engine.forget(); refresh(); } catch (e) { warn('forget failed', e); } }
      if (prompter) prompter.forgetPrompts();
    },
    prompts(config) {
      promptConfig = config;
      if (prompter) startPrompts();
      else if (engine) loadPrompts().then((m) => { if (m) { prompter = m; startPrompts(); } });
    },
  };
  // Events a page queued before this script ran: window.attune = {q: [{type, item}, …]}.
  if (prior && Array.isArray(prior.q)) for (const e of prior.q.slice(0, 500)) queue.push([e, Date.now()]);
  w.attune = api;

  boot().then((ok) => {
    if (!ok) { failed = true; queue.length = 0; }
    resolveReady(ok);
  });

  async function boot() {
    try {
      const script = ownScript();
      const d = (script && script.dataset) || {};
      if (!d.model) throw new Error('the attune.js <script> tag needs data-model="/path/to/model.bin"');
      const modelUrl = new URL(d.model, document.baseURI);
      const wantPrompts = promptConfig !== undefined || document.querySelector('script[data-attune-prompts]');
      const [glue, bytes, pm] = await Promise.all([
        import('./pkg/attune_web.js').then(async (m) => { await m.default(); return m; }),
        fetch(modelUrl, { credentials: 'same-origin' }).then((r) => {
          if (!r.ok) throw new Error('model ' + modelUrl.pathname + ': HTTP ' + r.status);
          return r.arrayBuffer();
        }),
        wantPrompts && loadPrompts(),
      ]);
      engine = new glue.Engine(new Uint8Array(bytes));
      const k = Number.parseInt(d.k, 10);
      engine.configure(d.itemUrl, d.currency, k > 0 ? k : undefined);
      engine.useLocalStorage();
      // attune.prompts(config) may have come while the engine loaded.
      const m = pm || (promptConfig !== undefined && (await loadPrompts()));
      if (m) { prompter = m; startPrompts(); }
      for (const [e, at] of queue.splice(0)) apply(e, at);
      w.addEventListener('storage', (ev) => {
        if (ev.key === null || ev.key.startsWith('attune:')) {
          try { engine.reload(); refresh(); } catch (e) { warn('could not reload the profile', e); }
        }
      });
      if (!customElements.get('attune-recs')) customElements.define('attune-recs', element());
      return true;
    } catch (e) {
      warn('recommendations are off', e);
      engine = null;
      return false;
    }
  }

  function element() {
    return class extends HTMLElement {
      static get observedAttributes() { return ['placement', 'item', 'k', 'heading']; }
      connectedCallback() { live.add(this); schedule(this); }
      disconnectedCallback() { live.delete(this); }
      attributeChangedCallback() { if (this.isConnected) schedule(this); }
    };
  }
}

// Module scripts have no document.currentScript: find our tag by its resolved URL.
function ownScript() {
  for (const s of document.querySelectorAll('script[src]')) if (s.src === import.meta.url) return s;
  return document.querySelector('script[data-model]');
}
