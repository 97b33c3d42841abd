// Attune loader: signals in, profile (localStorage with consent, else memory), placements
// and the privacy view out; fetches only ./pkg/ and the model. docs/integration.md explains
// every part; kept terse because every byte is served to every shopper.

const w = window;
const d = document;
const KEY = 'attune';
const OLD = 'attune:v1';
const warned = new Set();
const warn = (msg, err) => {
  const t = 'attune: ' + msg + (err ? ' (' + (err.message || err) + ')' : '');
  if (!warned.has(t)) { warned.add(t); console.warn(t); }
};
const quiet = (f) => { try { return f(); } catch (_) { return undefined; } };

const GA = { view_item: 'view', select_item: 'view', add_to_cart: 'cart', remove_from_cart: 'remove_from_cart', purchase: 'purchase', search: 'search', view_search_results: 'search' };
const PAGE = { view_item: 'product', purchase: 'confirmation', view_cart: 'cart', begin_checkout: 'checkout' };

if (!(w.attune && w.attune.ready)) start(w.attune);
// `import attune from '…/attune.js'` gives the same API as window.attune (types: attune.d.ts).
export default w.attune;

function start(prior) {
  const queue = [];
  const live = new Set();
  const dirty = new Set();
  const notes = new WeakMap();
  const consent = {}; // source → true | false
  const ctx = { page: '', item: '', cart: null };
  const facts = [];
  const seen = new Set(); // one view per item and page
  let engine = null;
  let failed = false;
  let flushing = false;
  let persist = false;
  let broken = false;
  let paused = false;
  let waiting = false;
  let session = { count: 1, start: Date.now(), last: 0 };
  let cfg = {};
  let money;
  let prompter = null;
  let promptConfig;
  let eco = null;
  let auto = ''; // the page's item (JSON-LD, body attribute): a view
  let resolveReady;
  const ready = new Promise((r) => { resolveReady = r; });
  const run = (op, arg = '', n = 0) => engine.run(op, arg, n);

  const tag = ownScript();
  const ds = (tag && tag.dataset) || {};
  const cfgEl = d.querySelector('script[data-attune-config]');
  if (cfgEl) {
    try { cfg = JSON.parse(cfgEl.textContent) || {}; } catch (e) { warn('data-attune-config is not valid JSON', e); }
  }
  const mode = ds.consent || cfg.consent;
  if (mode === 'granted' || mode === 'denied') consent.page = mode === 'granted';
  if (quiet(() => navigator.globalPrivacyControl) === true && (ds.gpc || cfg.gpc) !== 'ignore') consent.gpc = false;
  const days = cfg.retentionDays > 0 ? +cfg.retentionDays : 90;
  const asId = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');
  const ids = (v) => (Array.isArray(v) ? v.map(asId).join(' ') : asId(v));

  const state = () => {
    const v = Object.values(consent);
    return v.includes(false) ? 'denied' : v.includes(true) || !(waiting || mode === 'pending') ? 'granted' : 'pending';
  };
  const fault = (msg, e) => { broken = true; persist = false; warn(msg, e); };
  const read = () => {
    let raw;
    try {
      raw = w.localStorage.getItem(KEY) ?? w.localStorage.getItem(OLD);
    } catch (e) {
      return fault('localStorage is unavailable; the shopper profile lives in memory for this page', e);
    }
    const o = raw == null ? { v: 2, events: [] } : quiet(() => JSON.parse(raw));
    if (o && o.v > 2) return fault('the stored shopper profile is from a newer Attune; using memory, not overwriting it');
    if (o && (o.v === 1 || o.v === 2) && Array.isArray(o.events)) return o;
    warn('the stored shopper profile is unreadable; starting a new one');
    return { v: 2, events: [] };
  };
  const events = () => {
    const t = engine ? run('dump') : '';
    return t ? t.split('\n').map((l) => {
      const [type, v, at] = l.split('\t');
      return type === 'search' ? { type, query: v, at: +at } : { type, item: v, at: +at };
    }) : [];
  };
  const load = (o, merge) => {
    const text = o.events.map((e) => [e?.type, e?.type === 'search' ? e.query : e?.item, Math.floor(e?.at)].join('\t')).join('\n');
    const bad = +run(merge ? 'merge' : 'load', text, Date.now());
    if (bad) warn('ignored ' + bad + ' invalid event(s) in the stored shopper profile');
    const s = o.session;
    if (s && s.count > 0 && s.start > 0 && s.last > 0) session = { count: s.count | 0, start: +s.start, last: +s.last };
    paused = o.paused === true || (merge && paused);
  };
  const save = () => {
    if (!persist) return;
    try {
      w.localStorage.setItem(KEY, JSON.stringify({ v: 2, events: events(), session, paused }));
      w.localStorage.removeItem(OLD);
    } catch (e) {
      fault('localStorage refused to save the shopper profile; keeping it in memory', e);
    }
  };
  const wipe = () => {
    for (const s of ['localStorage', 'sessionStorage']) {
      quiet(() => { for (const k of Object.keys(w[s])) if (k === KEY || k.startsWith(KEY + ':')) w[s].removeItem(k); });
    }
  };
  const sync = () => {
    if (!engine) return;
    if (state() === 'granted') {
      if (!persist && !broken) {
        const mine = run('dump');
        const o = read();
        if (o) {
          persist = true;
          load(o, true);
          // Save what changed: events before consent, a migration, retention, the bound.
          if (mine || o.v === 1 || events().length !== o.events.length) save();
        }
      }
    } else {
      if (state() === 'denied') wipe(); // withdrawal erases what was stored
      persist = false;
    }
    if (prompter) startPrompts(); // the prompt memory follows the same consent
    refresh();
  };

  const apply = (type, value, at, ev) => {
    if (prompter) quiet(() => prompter.promptSignal(ev || { type, item: value }, at));
    if (paused || type === 'variant') return; // option switches are for the prompts only
    try {
      if (persist) { const o = read(); if (o) load(o, false); } // what other tabs stored meanwhile
      run('track', type + '\t' + value, at);
      if (at - session.last > 18e5) { if (session.last) session.count++; session.start = at; } // 30 min apart: a new visit
      session.last = at;
      save();
    } catch (e) {
      warn('track ignored an event', e);
    }
  };
  const record = (type, value, ev) => {
    const at = Date.now();
    if (failed) return;
    if (type === 'view') { if (seen.has(value)) return; seen.add(value); }
    if (!engine) { if (queue.length < 500) queue.push([type, value, at, ev]); return; }
    apply(type, value, at, ev);
    refresh();
  };
  const track = (e) => {
    const o = e || {};
    const t = o.type === 'add_to_cart' ? 'cart' : String(o.type);
    record(t, t === 'search' ? String(o.query ?? o.search_term ?? '').replace(/\s+/g, ' ').trim().slice(0, 100) : asId(o.item), o);
  };
  // GA4 ecommerce in dataLayer: like GTM, {ecommerce: null} clears what a bare event reuses.
  const ga = (name, p) => {
    const items = ((p && p.items) || []).map((i) => asId(i && (i.item_id ?? i.id))).filter(Boolean);
    const t = GA[name];
    if (PAGE[name]) ctx.page = PAGE[name];
    if (name === 'view_item') ctx.item = ctx.item || items[0] || '';
    if (name === 'view_item_list') ctx.page = ctx.page || 'listing';
    if (name === 'view_cart' || name === 'begin_checkout') ctx.cart = items;
    if (t === 'search') track({ type: t, search_term: p && p.search_term, results: p && p.results });
    else if (t) for (const i of items) record(t, i, { type: t, item: i });
    if (engine) refresh(); // a stated basket or page type changes what placements show
  };
  const layer = (m) => {
    if (!m || typeof m !== 'object') return;
    if (typeof m[0] === 'string') {
      const p = m[2] || {};
      if (m[0] === 'event') ga(m[1], p);
      const c = m[0] === 'consent' && p.personalization_storage;
      if (c) {
        // A denied default means "not asked yet"; an update decides.
        if (c === 'granted' || m[1] === 'update') consent.gcm = c === 'granted'; else waiting = true;
        sync();
      }
      return;
    }
    if ('ecommerce' in m) eco = m.ecommerce;
    if (typeof m.event === 'string') ga(m.event, { ...m, ...eco });
  };
  const dl = (w.dataLayer = w.dataLayer || []);
  if (Array.isArray(dl)) {
    for (const m of dl) quiet(() => layer(m));
    const push = dl.push;
    dl.push = function (...a) {
      const r = push.apply(this, a);
      for (const m of a) quiet(() => layer(m));
      return r;
    };
  }
  // JSON-LD: a top-level Product is the page's item; every Product gives catalog facts.
  const ld = (j, top) => {
    if (Array.isArray(j)) return j.forEach((x) => ld(x, top));
    if (!j || typeof j !== 'object') return;
    ld(j['@graph'], top);
    if (Array.isArray(j.itemListElement)) ld(j.itemListElement.map((e) => (e && e.item) || e), false);
    if (![].concat(j['@type']).includes('Product')) return;
    const o = [].concat(j.offers || [])[0] || {};
    const id = asId(j.sku ?? j.productID ?? o.sku);
    if (top && id && !ctx.item) { ctx.item = auto = id; ctx.page = ctx.page || 'product'; }
    fact(id, o.availability, o.price ?? o.lowPrice, j.category && (j.category.name || j.category));
  };
  const fact = (id, avail, price, cat) => {
    if (!id) return;
    if (avail != null) facts.push([/(OutOfStock|SoldOut|Discontinued|false)$/i.test(avail) ? 'unavailable' : 'available', '', id]);
    if (price != null && price !== '' && isFinite(price)) facts.push(['price', +price, id]);
    if (typeof cat === 'string') facts.push(['category', cat, id]);
  };
  const attr = (sel, name) => { const el = d.querySelector(sel); return el && el.getAttribute(name); };
  const split = (s) => (s || '').split(/\s+/).filter(Boolean);
  for (const s of d.querySelectorAll('script[type="application/ld+json"]')) quiet(() => ld(JSON.parse(s.textContent), true));
  for (const el of d.querySelectorAll('[data-attune-item]')) {
    const a = el.dataset;
    fact(asId(a.attuneItem), a.attuneAvailable, a.attunePrice, a.attuneCategory);
  }
  ctx.page = attr('[data-attune-page]', 'data-attune-page') || ctx.page;
  ctx.item = auto = asId((d.body || d.documentElement).getAttribute('data-attune-item')) || auto || ctx.item;
  const basket = attr('[data-attune-cart-items]', 'data-attune-cart-items');
  if (basket != null) ctx.cart = split(basket);
  d.addEventListener('click', (e) => quiet(() => {
    const a = e.target.closest('[data-attune-cart],[data-attune-remove],a[data-attune-item]').dataset;
    if (a.attuneCart) record('cart', asId(a.attuneCart));
    else if (a.attuneRemove) record('remove_from_cart', asId(a.attuneRemove));
    else record('view', asId(a.attuneItem));
  }), true);
  d.addEventListener('submit', (e) => quiet(() => {
    const q = e.target.closest('[data-attune-search]').querySelector('input[type=search],input[name=q],input:not([type])');
    if (q.value.trim()) track({ type: 'search', query: q.value });
  }), true);

  const schedule = (el) => {
    dirty.add(el);
    if (!flushing) {
      flushing = true;
      queueMicrotask(() => {
        flushing = false;
        for (const e of dirty) {
          dirty.delete(e);
          if (e.isConnected) {
            try { (e.localName === 'attune-privacy' ? privacy : recs)(e); } catch (err) {
              warn('could not render a placement', err);
              quiet(() => e.shadowRoot.replaceChildren());
            }
          }
        }
      });
    }
  };
  const refresh = () => { for (const el of live) schedule(el); };
  const about = () => (engine ? run('about') : '\n').split('\n');
  const context = () => ({
    page: ctx.page || 'other', item: ctx.item || null, cart: ctx.cart || split(about()[1]),
    sessionCount: session.count, sessionStart: session.start, sessionMs: Date.now() - session.start,
    consent: state(), stored: persist, paused,
  });
  const exported = () => {
    const [band, cart] = about();
    return { exported: new Date().toISOString(), storage: persist ? 'localStorage "' + KEY + '"' : 'memory only', retentionDays: days, paused, session, events: events(), inferred: { priceBand: band ? band.split(' ').map(Number) : null, basket: split(cart) } };
  };

  const api = {
    ready,
    track: (e) => quiet(() => track(e)),
    async recommend(opts) {
      const o = opts || {};
      if (!(await ready)) return [];
      try {
        const k = o.k == null ? undefined : Math.max(1, Math.floor(Number(o.k)) || 1);
        if (o.history != null) {
          const r = engine.recommendIds(Array.isArray(o.history) ? o.history.map(asId).join(' ') : String(o.history), k || 10);
          return r ? r.split(' ') : [];
        }
        return rows(String(o.placement || 'for-you'), o.item == null ? ctx.item : asId(o.item), o.items == null ? null : ids(o.items), k).map((r) => run('id', '', +r[0]));
      } catch (e) {
        warn('recommend failed', e);
        return [];
      }
    },
    forget() {
      paused = false;
      session = { count: 1, start: Date.now(), last: 0 };
      if (engine) run('forget');
      wipe();
      if (prompter) quiet(() => prompter.forgetPrompts());
      refresh();
    },
    consent(granted) { consent.page = !!granted; sync(); },
    pause(on = true) { paused = !!on; save(); refresh(); },
    context,
    export: exported,
    prompts(config) {
      promptConfig = config;
      if (prompter) startPrompts();
      else if (engine) loadPrompts().then((m) => { if (m) { prompter = m; startPrompts(); } });
    },
  };
  api.erase = api.forget;
  w.attune = api;
  // Events queued before this script ran: window.attune = {q: [{type, item}, …]}.
  if (prior && Array.isArray(prior.q)) for (const e of prior.q.slice(0, 500)) api.track(e);
  const bought = attr('[data-attune-purchase]', 'data-attune-purchase');
  for (const i of split(bought)) record('purchase', i);
  if (auto && cfg.autoView !== false) record('view', auto);
  for (const [name, observed] of [['attune-recs', ['placement', 'item', 'items', 'k', 'heading', 'min-score', 'fallback']], ['attune-privacy', []]]) {
    if (!customElements.get(name)) {
      customElements.define(name, class extends HTMLElement {
        static get observedAttributes() { return observed; }
        connectedCallback() { live.add(this); schedule(this); }
        disconnectedCallback() { live.delete(this); }
        attributeChangedCallback() { if (this.isConnected) schedule(this); }
      });
    }
  }
  // Help prompts (docs/prompts.md): ./attune-prompts.js, loaded only for a page that
  // configures them (attune.prompts(config) or <script data-attune-prompts>); it sees every
  // tracked event and stores its memory only when the profile may be stored.
  const startPrompts = () => {
    try { prompter.startPrompts(promptConfig, Date.now(), persist); } catch (e) { warn('help prompts are off', e); }
  };
  const loadPrompts = () => import('./attune-prompts.js').catch((e) => warn('help prompts are off', e));

  boot().then((ok) => {
    if (!ok) { failed = true; queue.length = 0; refresh(); }
    resolveReady(ok);
  });

  async function boot() {
    try {
      if (!ds.model) throw new Error('the attune.js <script> tag needs data-model="/path/to/model.bin"');
      const url = new URL(ds.model, d.baseURI);
      const wantPrompts = promptConfig !== undefined || d.querySelector('script[data-attune-prompts]');
      // Integrity (docs/privacy.md): SRI values from `attune audit` on the tag; the browser
      // hashes the response and rejects a mismatch, and a refused file stops the widget.
      // The .wasm is then fetched here so the glue never fetches it unchecked.
      const max = +ds.maxModelBytes || 33554432; // 32 MiB
      const wasmSri = ds.wasmIntegrity;
      const modelSri = ds.modelIntegrity;
      // Fetch ignores SRI values it cannot use (unknown algorithm, bad base64) and then checks
      // nothing, so "required" also insists that every value is one the browser checks.
      const usable = (v) => !!v && v.trim().split(/\s+/).every((x) => /^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$/.test(x));
      if (ds.integrity === 'required' && !(usable(wasmSri) && usable(modelSri))) throw new Error('data-integrity="required" needs checkable sha256/384/512 values in data-wasm-integrity and data-model-integrity');
      const [glue, bytes, pm] = await Promise.all([
        import('./pkg/attune_web.js').then(async (m) => {
          await m.default(wasmSri ? { module_or_path: fetch(new URL('./pkg/attune_web_bg.wasm', import.meta.url), { integrity: wasmSri, credentials: 'same-origin' }) } : undefined);
          return m;
        }),
        fetch(url, { credentials: 'same-origin', integrity: modelSri || '' }).then(async (r) => {
          if (!r.ok) throw new Error('model ' + url.pathname + ': HTTP ' + r.status);
          // A model larger than any real catalogue needs is refused before it fills the tab.
          const big = (n) => { if (n > max) throw new Error('model ' + url.pathname + ' is over ' + max + ' bytes (data-max-model-bytes)'); };
          big(+r.headers.get('content-length'));
          const b = await r.arrayBuffer();
          big(b.byteLength);
          return b;
        }),
        wantPrompts && loadPrompts(),
      ]);
      engine = new glue.Engine(new Uint8Array(bytes));
      for (const k of ['maxPerCategory', 'priceBand', 'minScore', 'maxEvents']) if (cfg[k] != null) run('set', k, +cfg[k]);
      run('set', 'retentionDays', days);
      run('set', 'rebuyAll', cfg.rebuy === true ? 1 : 0);
      for (const k of ['unavailable', 'pin', 'boost', 'bury', 'rebuy']) if (Array.isArray(cfg[k])) run('rule', k + '\t\t' + ids(cfg[k]));
      for (const [name, list] of Object.entries(cfg.categories || {})) run('rule', 'category\t' + name + '\t' + ids(list));
      money = price(ds.currency || run('meta', 'currency'));
      for (const [kind, v, id] of facts) run('rule', kind + '\t' + (kind === 'price' ? Math.round(v * money[1]) : v) + '\t' + id);
      // Consent frameworks on the page answer for themselves (docs/integration.md).
      if (typeof w.__tcfapi === 'function') {
        waiting = true;
        quiet(() => w.__tcfapi('addEventListener', 2, (t, ok) => {
          if (ok && t && /^(tcloaded|useractioncomplete)$/.test(t.eventStatus)) {
            consent.tcf = t.gdprApplies === false || !!(t.purpose && t.purpose.consents && t.purpose.consents[1]);
            sync();
          }
        }));
      }
      const sp = quiet(() => w.Shopify.customerPrivacy);
      if (sp) {
        waiting = true;
        const ask = (e) => {
          const v = e && e.detail ? e.detail.preferencesAllowed : quiet(() => sp.preferencesProcessingAllowed()) || (quiet(() => sp.currentVisitorConsent().preferences) === 'no' ? false : undefined);
          if (typeof v === 'boolean') consent.shopify = v;
          sync();
        };
        d.addEventListener('visitorConsentCollected', ask);
        ask();
      }
      sync();
      // Prompts first, so they see the queued events too; attune.prompts(config) may have
      // come while the engine loaded.
      const m = pm || (promptConfig !== undefined && (await loadPrompts()));
      if (m) { prompter = m; startPrompts(); }
      for (const q of queue.splice(0)) apply(...q);
      // Another tab changed the profile: follow it.
      w.addEventListener('storage', (e) => {
        if (persist && (e.key === null || e.key === KEY)) { const o = read(); if (o) { load(o, false); refresh(); } }
      });
      refresh();
      return true;
    } catch (e) {
      warn('recommendations are off', e);
      engine = null;
      return false;
    }
  }

  // [[index, reason, source], …]: what a placement shows.
  function rows(placement, item, items, k, min, fallback) {
    const basket = items ?? (ctx.cart ? ctx.cart.join(' ') : '-');
    const out = run('pick', [placement, item || '', basket, k > 0 ? k : parseInt(ds.k, 10) || '', fallback || '', paused ? 0 : 1].join('\t'), min >= 0 ? min : NaN);
    return out ? out.split('\n').map((r) => r.split('\t')) : [];
  }
  const title = (i) => run('title', '', i).trim() || run('id', '', i);
  const fmt = (minor) => money[0].format(minor / money[1]);
  const REASON = { w: 'Often bought with ', v: 'Because you viewed ', c: 'Because you added ', b: 'Because you bought ', s: 'Because you searched for ', p: 'Popular now', r: 'You viewed this', f: 'Featured by the shop' };

  function recs(el) {
    const root = shadow(el);
    const dialog = root.querySelector('dialog');
    for (const c of [...root.childNodes]) if (c !== dialog) c.remove();
    const at = (n) => el.getAttribute(n);
    const name = (at('placement') || '').trim();
    const list = engine ? rows(name, at('item') ?? ctx.item, at('items'), parseInt(at('k'), 10), parseFloat(at('min-score')), at('fallback')) : [];
    // Rather nothing than an empty header; `empty` lets the page's CSS release the space
    // it reserved (docs: reserving space).
    el.toggleAttribute('empty', !list.length && (failed || !!engine));
    if (!list.length) return;
    const heading = (at('heading') || '').trim() || HEADINGS[name];
    const h = node('h2', 'heading', heading);
    h.tabIndex = -1;
    const more = node('button', 'privacy', 'Your data');
    more.onclick = () => openPrivacy(root);
    const ul = node('ul', 'list');
    for (const [i, code, src] of list) ul.append(card(+i, code, src, el));
    const section = node('section', 'container', node('div', 'header', h, more), ul);
    section.setAttribute('aria-label', heading);
    root.prepend(section);
    if (el.refocus) { el.refocus = false; h.focus(); }
  }

  function card(i, code, src, el) {
    const id = run('id', '', i);
    const name = title(i);
    const fill = (t) => t.split('{id}').join(encodeURIComponent(id));
    const a = node('a', 'link');
    a.href = safe(ds.itemUrl ? fill(ds.itemUrl) : run('url', '', i)) || safe(fill('?item={id}'));
    const tile = node('span', 'tile', ((name.match(/[0-9A-Za-z\u0080-\uffff]+/g) || []).slice(0, 2).map((x) => x[0]).join('') || id.slice(0, 2)).toUpperCase());
    tile.setAttribute('aria-hidden', 'true');
    tile.style.setProperty('--attune-hue', hue(id));
    const src2 = ds.images !== 'off' && safe(run('image', '', i));
    if (src2) {
      const img = node('img', 'image');
      for (const [k, v] of [['src', src2], ['alt', ''], ['loading', 'lazy'], ['decoding', 'async'], ['referrerpolicy', 'no-referrer']]) img.setAttribute(k, v);
      tile.append(img);
    }
    const p = run('price', '', i);
    a.append(tile, node('span', 'title', name), p ? node('span', 'price', fmt(+p)) : '',
      node('span', 'reason', REASON[code] + (code === 's' ? '“' + src + '”' : 'wvcb'.includes(code) ? title(+src) + (code === 'c' ? ' to your cart' : '') : '')));
    const li = node('li', 'item', a);
    if (!paused && code !== 'f') {
      const x = node('button', 'dismiss', '×');
      x.title = 'Not interested';
      x.setAttribute('aria-label', 'Not interested in ' + name);
      x.onclick = () => { el.refocus = true; record('not_interested', id); };
      li.append(x);
    }
    return li;
  }

  function openPrivacy(root) {
    let dlg = root.querySelector('dialog');
    if (!dlg) {
      const close = node('button', 'close', 'Close');
      dlg = node('dialog', 'dialog', d.createElement('attune-privacy'), close);
      dlg.setAttribute('aria-label', 'Your data');
      close.onclick = () => dlg.close();
      dlg.onclose = () => { dlg.remove(); quiet(() => root.querySelector('[part=privacy]').focus()); };
      root.append(dlg);
    }
    dlg.showModal();
  }

  // The shopper's view of their data in plain words, with download, pause and erase.
  function privacy(el) {
    const list = events();
    const count = (t) => list.filter((e) => e.type === t).length;
    const stored = [['view', 'product view'], ['cart', 'basket addition'], ['remove_from_cart', 'basket removal'], ['purchase', 'purchase'], ['search', 'search'], ['not_interested', '“not interested”']]
      .map(([t, what]) => [count(t), what]).filter((r) => r[0]).map(([c, what]) => c + ' × ' + what);
    if (list.length) stored.push('since ' + new Date(list[0].at).toLocaleDateString() + '; deleted after ' + days + ' days');
    stored.push('visit ' + session.count + ', started ' + Math.round((Date.now() - session.start) / 6e4) + ' min ago');
    const inferred = [];
    const names = (is) => is.map(title).join(', ');
    if (engine && !paused) {
      const [band, cart] = about();
      const known = (vs) => vs.map((v) => run('index', v)).filter(Boolean).map(Number);
      const recent = rows('recent', '', null, 3).map((r) => +r[0]);
      if (recent.length) inferred.push('Recently interested in: ' + names(recent));
      if (band) inferred.push('Usual price range: ' + band.split(' ').map(fmt).join(' to '));
      if (cart) inferred.push('In your basket: ' + names(known(split(cart))));
      const no = known([...new Set(list.filter((e) => e.type === 'not_interested').map((e) => e.item))]);
      if (no.length) inferred.push('Not shown to you: ' + names(no));
    }
    const ul = (items) => node('ul', 'facts', ...(items.length ? items : ['nothing yet']).map((t) => node('li', '', t)));
    const act = (text, f) => { const b = node('button', 'action', text); b.onclick = () => { notes.set(el, f()); refresh(); }; return b; };
    const status = node('p', 'status', notes.get(el) || '');
    status.setAttribute('role', 'status');
    shadow(el).replaceChildren(node('section', 'container',
      node('h2', 'heading', (el.getAttribute('heading') || '').trim() || 'Your data in this shop'),
      node('p', 'where', persist ? 'Kept in this browser only (localStorage “' + KEY + '”), never sent anywhere.' : 'Kept in memory for this page only: nothing is saved' + (state() === 'granted' ? '.' : ' without your consent.')),
      paused ? node('p', 'paused', 'Paused: nothing new is recorded and suggestions ignore what you do.') : '',
      node('h3', 'subheading', 'What is stored'), ul(stored),
      node('h3', 'subheading', 'What Attune inferred'), ul(inferred),
      node('div', 'actions',
        act('Download my data', () => {
          const a = d.createElement('a');
          a.href = URL.createObjectURL(new Blob([JSON.stringify(exported(), null, 2)], { type: 'application/json' }));
          a.download = 'attune-data.json';
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 1e4);
          return 'Downloaded attune-data.json.';
        }),
        act(paused ? 'Resume personalization' : 'Pause personalization', () => { api.pause(!paused); return paused ? 'Paused.' : 'Resumed.'; }),
        act('Erase everything', () => { api.forget(); return 'Erased: nothing about you is kept in this browser.'; })),
      status));
  }
}

const HEADINGS = { similar: 'Similar items', 'bought-together': 'Often bought together', 'for-you': 'Picked for you', recent: 'Recently viewed', cart: 'Goes well with your basket', popular: 'Popular now' };

// Only http(s) URLs, judged by the browser's own parser (relative ones against the page).
function safe(raw) {
  const u = raw && raw.trim() && quiet(() => new URL(raw, document.baseURI));
  return u && /^https?:$/.test(u.protocol) ? u.href : '';
}

// [Intl.NumberFormat, minor units per major unit]; an unknown currency code warns once.
function price(code) {
  const make = (o) => new Intl.NumberFormat(undefined, o);
  let f = make({ minimumFractionDigits: 2 });
  if (code && code.trim()) {
    try { f = make({ style: 'currency', currency: code.trim() }); } catch (_) { warn('unknown currency code; prices are shown without a currency'); }
  }
  return [f, 10 ** f.resolvedOptions().minimumFractionDigits];
}

// A stable hue per item (FNV-1a over UTF-8), so an item always gets the same tile colour.
function hue(id) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(id)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return String(h % 360);
}

function node(tag, part, ...kids) {
  const el = document.createElement(tag);
  if (part) el.setAttribute('part', part);
  if (tag === 'button') el.type = 'button';
  el.append(...kids);
  return el;
}

let sheet;
function shadow(el) {
  const root = el.shadowRoot || el.attachShadow({ mode: 'open' });
  if (sheet === undefined) sheet = quiet(() => { const s = new CSSStyleSheet(); s.replaceSync(CSS); return s; }) || null;
  if (!sheet) { if (!root.querySelector('style')) root.append(node('style', '', CSS)); } else if (!root.adoptedStyleSheets.length) root.adoptedStyleSheets = [sheet];
  return root;
}

// Themed with --attune-* custom properties and ::part(); the tile colour comes from
// --attune-hue, set per card through the CSSOM (which CSP does not restrict).
const CSS = `:host{display:block;color:var(--attune-fg,inherit)}:host([hidden]){display:none}
[part=header]{display:flex;align-items:baseline;justify-content:space-between;gap:.5rem;margin-bottom:.75rem}
[part=heading]{font-size:var(--attune-heading-size,1.15rem);font-weight:600;margin:0}
button{font:inherit;font-size:.8rem;color:var(--attune-muted,#5f6368);background:none;border:0;padding:.25rem;cursor:pointer;text-decoration:underline}
[part=list]{list-style:none;margin:0;padding:0;display:grid;gap:var(--attune-gap,1rem);grid-template-columns:repeat(auto-fill,minmax(var(--attune-card-width,9.5rem),1fr))}
[part=item]{min-width:0;position:relative}
[part=link]{display:flex;flex-direction:column;gap:.3rem;height:100%;color:inherit;text-decoration:none}
[part=link]:hover [part=title]{color:var(--attune-accent,#0b57d0);text-decoration:underline}
:focus-visible{outline:2px solid var(--attune-accent,#0b57d0);outline-offset:3px}
[part=tile]{position:relative;display:grid;place-items:center;aspect-ratio:1;overflow:hidden;border-radius:var(--attune-radius,.5rem);font-weight:700;font-size:1.6rem;background:var(--attune-tile-bg,hsl(var(--attune-hue) 45% 88%));color:hsl(var(--attune-hue) 35% 28%)}
[part=image]{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}
[part=title]{font-size:.9rem;line-height:1.3;overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2}
[part=price]{font-weight:600}[part=reason]{font-size:.8rem;color:var(--attune-muted,#5f6368)}
[part=dismiss]{position:absolute;top:.25rem;right:.25rem;width:1.75rem;height:1.75rem;border-radius:50%;background:#fffd;text-decoration:none;font-size:1rem}
[part=dialog]{max-width:36rem;border-radius:var(--attune-radius,.5rem)}[part=subheading]{font-size:1rem;margin:1rem 0 .25rem}
[part=action]{color:inherit;border:1px solid;border-radius:var(--attune-radius,.5rem);margin:1rem .5rem 0 0;text-decoration:none}`;

// Module scripts have no document.currentScript: find our tag by its resolved URL.
function ownScript() {
  for (const s of document.querySelectorAll('script[src]')) if (s.src === import.meta.url) return s;
  return document.querySelector('script[data-model]');
}
