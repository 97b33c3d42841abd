// Attune help prompts (docs/prompts.md): the page side of the rules engine
// (./prompts-engine.js, pure, bundled into this file by scripts/build). attune.js loads this
// module only on pages that configure prompts and hands it every tracked event. Here: the
// browser's signals (pointer, scroll, visibility, keyboard, focus, option inputs), the
// clock, the prompt's memory in localStorage (only when the loader allows storage), and one
// non-modal prompt in Shadow DOM built from DOM nodes. It never moves focus unless the
// shopper is already in the prompt, never throws into the page, and sends nothing anywhere:
// answers and actions become DOM events only.

import { fromText, parseConfig, prompts, toText } from './prompts-engine.js';

const w = window;
const d = document;
const KEY = 'attune:prompts';
const MAX_ITEMS = 12; // facts kept for comparisons (the engine remembers 12 per session)
const ANSWERS = ['price', 'shipping', 'information', 'browsing', 'other'];
const CHOICES = ['The price', 'The shipping cost', 'I need more information', 'Just browsing', 'Something else'];
const QUESTION = 'What stopped you today?';
// The prompt's own words; a config's "labels" may replace them (docs/prompts.md).
const LABELS = {
  close: 'Close',
  never: "Don't show this again",
  thanks: 'Thank you. Your answer stays in this browser.',
  price: 'Price',
};
const CSS = `:host{all:initial}
[part~=prompt]{position:fixed;z-index:2147483000;right:1rem;bottom:1rem;box-sizing:border-box;width:min(23rem,calc(100vw - 2rem));max-height:calc(100vh - 2rem);overflow:auto;padding:1rem 1.1rem;border-radius:var(--attune-radius,.75rem);background:var(--attune-prompt-bg,#fff);color:var(--attune-prompt-fg,#1f1f1f);border:1px solid var(--attune-prompt-border,#c4c7c5);box-shadow:0 .5rem 2rem rgba(0,0,0,.18);font:400 .95rem/1.45 var(--attune-font,system-ui,sans-serif)}
@media (max-width:36rem){[part~=prompt]{right:.5rem;left:.5rem;bottom:.5rem;width:auto}}
@media (prefers-reduced-motion:no-preference){[part~=prompt]{animation:attune-in .25s ease-out}}
@keyframes attune-in{from{opacity:0;transform:translateY(.75rem)}}
[part~=title]{margin:0 2rem .5rem 0;font-size:1.05rem;font-weight:600;line-height:1.3}
p{margin:0 0 .6rem}ul{margin:0 0 .6rem;padding-left:1.2rem}
button{font:inherit;cursor:pointer;color:inherit}
[part~=close]{position:absolute;top:.45rem;right:.45rem;width:2.25rem;height:2.25rem;border:0;border-radius:50%;background:none;font-size:1.4rem;line-height:1}
[part~=close]:hover{background:var(--attune-prompt-hover,#f1f3f4)}
[part~=link]{color:var(--attune-accent,#0b57d0);font-weight:600}
[part~=choices]{display:flex;flex-wrap:wrap;gap:.4rem;margin:0 0 .6rem}
[part~=choice]{padding:.35rem .75rem;border:1px solid var(--attune-accent,#0b57d0);border-radius:999px;background:none;color:var(--attune-accent,#0b57d0)}
[part~=choice]:hover{background:var(--attune-prompt-hover,#f1f3f4)}
[part~=never]{padding:0;border:0;background:none;font-size:.85rem;text-decoration:underline;color:var(--attune-muted,#5f6368)}
table{width:100%;table-layout:fixed;border-collapse:collapse;margin:0 0 .6rem;font-size:.88rem}
th,td{padding:.3rem;border-bottom:1px solid var(--attune-prompt-border,#c4c7c5);text-align:left;vertical-align:top;overflow-wrap:anywhere}
thead th{font-weight:600}
:focus-visible{outline:2px solid var(--attune-accent,#0b57d0);outline-offset:2px}`;

let engine = null;
let cfg = {}; // the page's own parse of the config, for the prompts' texts
let cfgText = null;
let persist = false;
let timer = 0;
let host = null;
let live = null; // the polite live region the prompt is put into
let open = null; // [rule, element] of the prompt on screen
let back = null; // where focus was before it entered the prompt
let items = []; // [[id, title, price, url, {field: value}], …] most recent last
let answers = []; // survey answers kept for the shop's page code: [rule, answer, at]
let lastMove = 0;

const quiet = (f) => { try { return f(); } catch (_) { return undefined; } };
const str = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');
const label = (k) => str(cfg.labels && typeof cfg.labels[k] === 'string' && cfg.labels[k]) || LABELS[k];

/** Starts (or reconfigures) the prompts. `config`: an object or JSON text, else the page's
 * <script type="application/json" data-attune-prompts>. `store`: localStorage allowed. */
export function startPrompts(config, now, store) {
  const el = d.querySelector('script[data-attune-prompts]');
  const text = config == null ? (el ? el.textContent : null) : typeof config === 'string' ? config : quiet(() => JSON.stringify(config));
  if (text == null) return;
  persist = store !== false;
  // The same config again (the loader restarting on a consent change): only `store` changed.
  if (text !== cfgText) {
    cfgText = text;
    cfg = quiet(() => JSON.parse(text)) || {};
    const c = parseConfig(text);
    for (const line of c.errors) console.warn('attune: help prompts: ' + line);
    if (engine) engine.setConfig(c);
    else {
      const coarse = quiet(() => w.matchMedia('(pointer: coarse)').matches) === true;
      engine = prompts(c, load(), now, location.pathname + location.search, coarse);
    }
  }
  if (!host) listen();
  if (d.hidden) signal('hidden', 0, 0, now);
  // A page that states the basket (docs/integration.md) corrects what the events implied.
  const basket = d.querySelector('[data-attune-cart-items]');
  if (basket) signal('basket', (basket.getAttribute('data-attune-cart-items') || '').split(/[\t\n\f\r ]+/), 0, now);
  save();
  schedule(now);
}

/** A tracked event ({type, item, …}, GA4 names too) at `at` (ms). */
export function promptSignal(event, at) {
  if (!engine || !event || typeof event !== 'object') return;
  quiet(() => {
    const t = String(event.type || event.event || '');
    const id = str(event.item ?? event.item_id);
    if (t === 'view' || t === 'view_item') signal('view', id, facts(id, event).category, at);
    else if (t === 'cart' || t === 'add_to_cart') signal('cart', id, 0, at);
    else if (t === 'remove_from_cart' || t === 'purchase') signal(t, id, 0, at);
    else if (t === 'search' || t === 'view_search_results') {
      const n = typeof event.results === 'number' ? event.results : Array.isArray(event.items) ? event.items.length : -1;
      signal('search', n, 0, at);
    } else if (t === 'variant') signal('variant', str(event.name || event.option) || 'option', str(event.value), at);
    else return;
    save();
  });
}

/** Forgets what the prompts remember (the shopper erased their data). */
export function forgetPrompts() {
  items = [];
  answers = [];
  if (engine) quiet(() => engine.forget());
  quiet(() => w.localStorage.removeItem(KEY));
}

// ---- the engine: the page's clock goes in here ---------------------------------------
function signal(kind, a, b, at = Date.now()) {
  if (!engine) return;
  const rule = quiet(() => engine.signal(kind, at, a, b));
  if (rule) show(rule);
  schedule(at);
}

function schedule(now) {
  clearTimeout(timer);
  const next = engine && quiet(() => engine.next(now));
  if (next != null) {
    timer = setTimeout(() => {
      const t = Date.now();
      const rule = quiet(() => engine.tick(t));
      if (rule) show(rule);
      schedule(t);
    }, Math.min(Math.max(0, next - now), 36e5)); // a cooldown may end months away: setTimeout overflows past 24.8 days
  }
}

// The stored memory (the engine's text form, unchanged since the Rust engine wrote it), or
// null for a blank one: a damaged or foreign value is ignored, never an error.
function load() {
  const o = quiet(() => JSON.parse(w.localStorage.getItem(KEY))) || {};
  items = Array.isArray(o.items) ? o.items.filter(Array.isArray).slice(-MAX_ITEMS) : [];
  answers = Array.isArray(o.answers) ? o.answers.slice(-20) : [];
  return typeof o.memory === 'string' ? fromText(o.memory) : null;
}

function save() {
  if (!persist || !engine) return;
  quiet(() => w.localStorage.setItem(KEY, JSON.stringify({ v: 1, memory: toText(engine.memory()), items, answers })));
}

// What the page told about an item (its `view` event, else the page's schema.org
// Product), kept for the comparison table.
function facts(id, e) {
  let p = {};
  if (e.title == null && e.item_name == null) {
    for (const s of d.querySelectorAll('script[type="application/ld+json"]')) {
      const j = quiet(() => JSON.parse(s.textContent));
      for (const x of [].concat(j && j['@graph'] ? j['@graph'] : j)) {
        if (x && [].concat(x['@type']).includes('Product') && str(x.sku ?? x.productID) === id) p = x;
      }
    }
  }
  const offer = [].concat(p.offers || [])[0] || {};
  const cat = e.category ?? e.item_category ?? p.category;
  const out = {
    category: str(cat && typeof cat === 'object' ? cat.name : cat),
    title: str(e.title ?? e.item_name ?? p.name),
    price: money(e.price ?? offer.price, e.currency ?? offer.priceCurrency),
    url: str(e.url ?? p.url) || (p.name ? location.href : ''),
    fields: {},
  };
  const src = e.fields && typeof e.fields === 'object' ? e.fields : e;
  for (const r of cfg.rules || []) for (const f of (r && r.fields) || []) if (src[f] != null) out.fields[f] = str(src[f]);
  items = items.filter((x) => x[0] !== id).concat([[id, out.title, out.price, out.url, out.fields]]).slice(-MAX_ITEMS);
  return out;
}

function money(v, currency) {
  if (typeof v === 'string' && v.trim() && !Number.isFinite(+v)) return v.trim();
  const n = +v;
  if (v == null || v === '' || !Number.isFinite(n)) return '';
  const code = str(currency || cfg.currency);
  return quiet(() => new Intl.NumberFormat(undefined, code ? { style: 'currency', currency: code } : { minimumFractionDigits: 2 }).format(n)) || n.toFixed(2);
}

// ---- the page's signals --------------------------------------------------------------
function listen() {
  host = d.createElement('attune-prompt');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = quiet(() => { const s = new CSSStyleSheet(); s.replaceSync(CSS); return s; });
  if (sheet) root.adoptedStyleSheets = [sheet];
  else root.append(make('style', {}, CSS));
  live = make('div', { 'aria-live': 'polite' });
  root.append(live);
  root.addEventListener('click', (e) => quiet(() => act(e)));
  (d.body || d.documentElement).append(host);

  const on = (target, type, f) => target.addEventListener(type, (e) => quiet(() => f(e)), { passive: true, capture: true });
  on(d, 'mouseout', (e) => { if (!e.relatedTarget && e.clientY <= 0) signal('leave'); });
  on(w, 'scroll', () => signal('scroll', w.scrollY));
  on(d, 'visibilitychange', () => { signal(d.hidden ? 'hidden' : 'visible'); if (d.hidden) save(); });
  on(w, 'pagehide', save);
  on(d, 'pointerdown', () => signal('activity'));
  on(d, 'input', () => signal('activity'));
  on(d, 'pointermove', () => { const t = Date.now(); if (t - lastMove > 1000) { lastMove = t; signal('activity'); } });
  on(d, 'focusin', (e) => {
    if (e.target === host) return;
    back = e.target;
    signal('field', isField(e.target));
  });
  on(d, 'focusout', (e) => { if (e.target !== host && isField(e.target)) signal('field', false); });
  on(d, 'change', (e) => {
    const v = e.target.closest && e.target.closest('[data-attune-variant]');
    if (v) signal('variant', v.getAttribute('data-attune-variant') || e.target.name || 'option', str(e.target.value));
  });
  d.addEventListener('keydown', (e) => quiet(() => {
    if (e.key === 'Escape' && open && !e.defaultPrevented) close('close');
    else signal('activity');
  }));
}

function isField(el) {
  if (!el || !el.tagName) return false;
  const t = el.tagName;
  if (t === 'TEXTAREA' || t === 'SELECT' || el.isContentEditable) return true;
  return t === 'INPUT' && !/^(button|submit|reset|checkbox|radio|range|color|file|image|hidden)$/i.test(el.type);
}

// ---- the prompt ----------------------------------------------------------------------
function make(tag, attrs, ...kids) {
  const el = d.createElement(tag);
  for (const k in attrs) el.setAttribute(k, attrs[k]);
  el.append(...kids);
  return el;
}

function safe(href) {
  const u = quiet(() => new URL(href, d.baseURI));
  return u && (u.protocol === 'https:' || u.protocol === 'http:') ? u.href : null;
}

function link(text, href) {
  const url = safe(href);
  return url ? make('a', { part: 'link', href: url, 'data-a': 'link' }, text) : text;
}

function show(rule) {
  const r = (cfg.rules || [])[rule.src];
  if (!r || !live) { quiet(() => engine.closed(false)); return; }
  const kind = r.show;
  const title = str(r.title) || QUESTION;
  const box = make('section', { part: 'prompt ' + kind, role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'attune-t' });
  box.append(make('h2', { part: 'title', id: 'attune-t' }, title));
  if (str(r.text)) {
    box.setAttribute('aria-describedby', 'attune-d');
    box.append(make('p', { part: 'text', id: 'attune-d' }, str(r.text)));
  }
  if (kind === 'reassure') box.append(make('ul', { part: 'facts' }, ...r.facts.map((f) => make('li', {}, str(f)))));
  if (kind === 'compare') box.append(table(r.fields || []));
  if (kind === 'survey') {
    const names = Array.isArray(r.choices) ? r.choices : CHOICES;
    box.append(make('div', { part: 'choices', role: 'group', 'aria-labelledby': 'attune-t' },
      ...ANSWERS.map((a, i) => make('button', { type: 'button', part: 'choice', 'data-a': 'answer', 'data-v': a }, str(names[i])))));
  }
  if (r.link) box.append(make('p', {}, link(str(r.link.text), r.link.href)));
  box.append(
    make('button', { type: 'button', part: 'close', 'data-a': 'close', 'aria-label': label('close') }, '×'),
    make('p', {}, make('button', { type: 'button', part: 'never', 'data-a': 'never' }, label('never'))),
  );
  open = [r, box];
  live.replaceChildren(box);
  save();
  emit('attune:prompt', 'show');
}

function table(fields) {
  const ids = quiet(() => engine.compared()) || [];
  const rows = ids.map((id) => items.find((x) => x[0] === id) || [id, '', '', '', {}]);
  const head = make('tr', {}, make('td', {}), ...rows.map((x) => make('th', { scope: 'col' }, x[3] ? link(x[1] || x[0], x[3]) : x[1] || x[0])));
  const row = (name, cells) => make('tr', {}, make('th', { scope: 'row' }, name), ...cells.map((c) => make('td', {}, c || '—')));
  return make('table', { part: 'compare' }, make('thead', {}, head),
    make('tbody', {}, row(label('price'), rows.map((x) => x[2])), ...fields.map((f) => row(str(f), rows.map((x) => (x[4] || {})[f])))));
}

function act(e) {
  const b = e.target.closest && e.target.closest('[data-a]');
  if (!b || !open) return;
  const a = b.getAttribute('data-a');
  if (a === 'close' || a === 'never') close(a);
  else if (a === 'link') emit('attune:prompt', 'link', { href: b.href });
  else if (a === 'answer') {
    const answer = b.getAttribute('data-v');
    const rule = open[0];
    answers = answers.concat([[rule.id, answer, Date.now()]]).slice(-20);
    save();
    const group = open[1].querySelector('[part~=choices]');
    const focused = host.shadowRoot.activeElement;
    group.replaceWith(make('p', { part: 'thanks' }, label('thanks')));
    if (focused) open[1].querySelector('[part~=close]').focus();
    emit('attune:prompt', 'answer', { answer });
    emit('attune:survey', null, { answer });
  }
}

function close(action) {
  const [rule] = open;
  const inside = d.activeElement === host;
  quiet(() => engine.closed(action === 'never'));
  live.replaceChildren();
  open = null;
  if (inside) {
    if (back && back.isConnected && back !== d.body) quiet(() => back.focus());
    else quiet(() => host.blur());
  }
  save();
  emitFor(rule, 'attune:prompt', action);
  schedule(Date.now());
}

function emit(name, action, extra) {
  if (open) emitFor(open[0], name, action, extra);
}

function emitFor(rule, name, action, extra) {
  const detail = Object.assign({ rule: String(rule.id), kind: String(rule.show) }, action ? { action } : {}, extra || {});
  quiet(() => host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true })));
}
