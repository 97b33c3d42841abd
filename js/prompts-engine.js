//! The help-prompt rules engine (docs/prompts.md): validates the merchant's config
//! (`parseConfig`), decides from the shopper's local signals whether a configured prompt may
//! show now (`prompts`), and keeps the little it must remember between pages (`toText` /
//! `fromText`). Pure and deterministic: no DOM, no storage, no timers, no clock — time is
//! passed in with every call, so tests/prompts-engine.test.mjs replays timelines in node.
//! js/attune-prompts.js turns browser events into signals and renders what this picks.
//! It was Rust in the Wasm until the bundle budget: 14.6 KB gzip there, a few KB here.
//!
//! Respect comes before every trigger: nothing on excluded pages, nothing while a form
//! field has focus or the tab is hidden, one prompt open at a time, at most `perPage` per
//! page view and `perSession` per session, a cooldown per rule, and a rule the shopper
//! dismissed for good never comes back. Rules are checked in config order; the first that
//! fires and is allowed wins.

// ---- the configuration ---------------------------------------------------------------

const HOUR = 36e5;
const TEXT_MAX = 500;
const TRIGGERS = ['dwell', 'repeat_view', 'compare', 'variant', 'cart_idle', 'cart_return', 'exit_intent', 'no_results'];
const ACTIONS = ['help', 'compare', 'reassure', 'survey'];
// Each trigger's one parameter: name, default, min, max, ms per unit (0: a whole count).
const PARAMS = {
  dwell: ['seconds', 45, 1, 3600, 1e3],
  repeat_view: ['views', 3, 2, 50, 0],
  compare: ['items', 3, 2, 4, 0], // 4: the most items a comparison shows side by side
  variant: ['switches', 4, 2, 50, 0],
  cart_idle: ['minutes', 3, 0.25, 240, 6e4],
  cart_return: ['seconds', 3, 0, 600, 1e3],
  exit_intent: ['seconds', 10, 0, 3600, 1e3],
};
const TEXT = 'expected a non-empty string (at most 500 characters)';
const PATTERNS = 'expected an array of non-empty strings (at most 32)';
const LIST = (n) => 'expected an array of ' + n + ' non-empty strings';
// A rule's fields: name → [check, the actions it belongs to, the actions that need it,
// the problem when the check fails]. Actions as bits in ACTIONS order: help 1, compare 2,
// reassure 4, survey 8. Checks: 0 id/when/show (done first), 1 a text, [min, max] a list
// of texts, 2 link, 3 hours, 4 the trigger's parameter.
const FIELDS = {
  id: [0, 15, 15],
  when: [0, 15, 15],
  show: [0, 15, 15],
  title: [1, 15, 7],
  text: [1, 15, 0],
  link: [2, 5, 0],
  facts: [[1, 6], 4, 4, LIST('1 to 6')],
  fields: [[1, 4], 2, 0, LIST('1 to 4')],
  choices: [[5, 5], 8, 0, LIST(5) + ': price, shipping, information, browsing, other'],
  cooldownHours: [3, 15, 0, 'expected a number of hours from 0 to 8760'],
  on: [[1, 32], 15, 0, PATTERNS],
  seconds: [4, 15, 0],
  minutes: [4, 15, 0],
  views: [4, 15, 0],
  items: [4, 15, 0],
  switches: [4, 15, 0],
};
const LABELS = ['close', 'never', 'thanks', 'price'];

/** The settings a config starts from (docs/prompts.md, "Top level"). */
export const defaults = () => ({ rules: [], perPage: 1, perSession: 2, neverOn: ['checkout', 'payment'], currency: null, errors: [] });

const own = Object.prototype.hasOwnProperty;
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// JSON.parse keeps only the last of a repeated member name, but a repeated field is an
// error here; so before parsing, every member name gets a unique suffix after a NUL, and
// `entries` gives back [name, value] pairs in document order, repeats included. (Splitting
// at the last NUL keeps a merchant's own NUL in a name, which then is an unknown field.)
// An empty name is shown as "" so that every error still names its field.
const entries = (o) => Object.keys(o).map((k) => [k.slice(0, k.lastIndexOf('\0')) || '""', o[k]]);
const get = (o, name) => (entries(o).find((e) => e[0] === name) || [])[1];
// The Rust reader took code points, not UTF-16 units: so do the limits here.
const length = (s) => [...s].length;
const text = (v) => typeof v === 'string' && v.trim() !== '' && length(v) <= TEXT_MAX;
const texts = (v, [min, max]) => Array.isArray(v) && v.length >= min && v.length <= max && v.every(text);
const strings = (v) => v.filter((s) => typeof s === 'string').map((s) => s.trim());
const whole = (v, max) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/**
 * Parses and validates a prompt config (JSON text). Always returns a config: the valid
 * rules, the settings (the default where one is invalid) and `errors`, one console line per
 * problem naming the field (`rules[2].seconds: …`). A bad rule is left out whole, a bad
 * setting falls back to its default; text that is not a JSON object gives no rules and one
 * line without a field. Never throws.
 */
export function parseConfig(source) {
  const cfg = defaults();
  const errors = cfg.errors;
  const note = (path, problem) => errors.push(path + ': ' + problem);
  let root;
  source = String(source);
  // Hostile input stays cheap: a real config is a few KB.
  if (source.length > 262144) {
    errors.push('the config is too long (at most 256 KB)');
    return cfg;
  }
  try {
    JSON.parse(source); // a syntax error is reported on the merchant's own text
    let n = 0;
    // Every string, so that the scan never starts inside one; a member name is followed by ':'.
    root = JSON.parse(source.replace(/("(?:[^"\\]|\\.)*")(\s*:)?/g, (s, name, colon) => (colon ? name.slice(0, -1) + '\\u0000' + n++ + '"' + colon : s)));
  } catch (e) {
    errors.push('not valid JSON (' + e.message + ')');
    return cfg;
  }
  if (!isObj(root)) {
    errors.push('the config must be a JSON object');
    return cfg;
  }
  const members = entries(root);
  members.forEach(([key, v], i) => {
    // A repeated setting: the last one applies, as in the page's JSON.parse of the same text.
    if (members.slice(i + 1).some((m) => m[0] === key)) return note(key, 'given twice');
    const bad = (what) => note(key, 'expected ' + what);
    if (key === 'rules') {
      if (!Array.isArray(v)) return bad('an array of rules');
      v.some((r, i) => {
        const at = 'rules[' + i + ']';
        if (i >= 32) return errors.push(at + ': too many rules (at most 32); the rule is ignored');
        const rule = parseRule(r, i);
        if (Array.isArray(rule)) note(at + (rule[0] ? '.' + rule[0] : ''), rule[1] + '; the rule is ignored');
        else if (cfg.rules.some((o) => o.id === rule.id)) note(at + '.id', 'another rule already has this id; the rule is ignored');
        else cfg.rules.push(rule);
      });
    } else if (key === 'perPage' || key === 'perSession') {
      const max = key === 'perPage' ? 3 : 20;
      if (whole(v, max)) cfg[key] = v;
      else bad('a whole number from 0 to ' + max);
    } else if (key === 'neverOn') {
      // An empty list is allowed here: "no page is excluded".
      if ((Array.isArray(v) && !v.length) || texts(v, [1, 32])) cfg.neverOn = strings(v);
      else note(key, PATTERNS);
    } else if (key === 'currency') {
      if (typeof v === 'string' && /^[a-z]{3}$/i.test(v)) cfg.currency = v.toUpperCase();
      else bad('a three-letter currency code such as "GBP"');
    } else if (key === 'labels') {
      // A bad label is named and its default word used.
      if (!isObj(v)) return bad('an object of label texts');
      for (const [k, t] of entries(v)) {
        if (!LABELS.includes(k)) note('labels.' + k, 'unknown field');
        else if (!text(t)) note('labels.' + k, TEXT);
      }
    } else note(key, 'unknown field');
  });
  return cfg;
}

/** One rule, or [field, problem] for the first thing wrong with it. */
function parseRule(v, src) {
  if (!isObj(v)) return ['', 'expected an object'];
  const members = entries(v);
  // Shape first: unknown and repeated fields, in document order.
  for (let i = 0; i < members.length; i++) {
    const k = members[i][0];
    if (!own.call(FIELDS, k)) return [k, 'unknown field'];
    if (members.slice(0, i).some((m) => m[0] === k)) return [k, 'given twice'];
  }
  let id = get(v, 'id');
  if (id === undefined) return ['id', 'missing'];
  id = typeof id === 'string' ? id.trim() : '';
  if (!/^[\w-]{1,40}$/.test(id)) return ['id', "expected a non-empty string of letters, digits, '-' and '_' (at most 40)"];
  const pick = (field, names) => {
    const x = get(v, field);
    if (x === undefined) return ['missing'];
    return names.includes(x) ? x : ['expected one of "' + names.join('", "') + '"'];
  };
  const when = pick('when', TRIGGERS);
  if (Array.isArray(when)) return ['when', when[0]];
  const show = pick('show', ACTIONS);
  if (Array.isArray(show)) return ['show', show[0]];
  if (show === 'compare' && when !== 'compare') return ['show', 'expected "compare" only with "when": "compare"'];

  const bit = 1 << ACTIONS.indexOf(show);
  const p = PARAMS[when];
  // `param`: the trigger's threshold, a count, or ms for the timed triggers.
  const rule = { id, src, when, show, param: p ? p[1] * (p[4] || 1) : 0, cooldown: 24 * HOUR, on: [] };
  for (const [name, x] of members) {
    const [check, belongs, , expected] = FIELDS[name];
    if (!(belongs & bit) || (check === 4 && (!p || p[0] !== name))) return [name, 'not used by this kind of rule'];
    if (check === 1 && !text(x)) return [name, TEXT];
    if (Array.isArray(check)) {
      if (!texts(x, check)) return [name, expected];
      if (name === 'on') rule.on = strings(x);
    }
    if (check === 2) {
      // Exactly `text` and `href`, both non-empty strings.
      if (!isObj(x)) return [name, 'expected an object {"text": …, "href": …}'];
      const link = entries(x);
      for (let i = 0; i < link.length; i++) {
        const k = link[i][0];
        if (k !== 'text' && k !== 'href') return [name + '.' + k, 'unknown field'];
        if (link.slice(0, i).some((m) => m[0] === k)) return [name + '.' + k, 'given twice'];
      }
      for (const k of ['text', 'href']) {
        const t = get(x, k);
        if (t === undefined) return [name + '.' + k, 'missing'];
        if (!text(t)) return [name + '.' + k, TEXT];
      }
    }
    if (check === 3) {
      if (!(typeof x === 'number' && x >= 0 && x <= 8760)) return [name, expected];
      rule.cooldown = x * HOUR;
    }
    if (check === 4) {
      const [, , min, max, unit] = p;
      if (!(typeof x === 'number' && x >= min && x <= max && (unit || Number.isInteger(x)))) {
        return [name, 'expected a ' + (unit ? '' : 'whole ') + 'number of ' + name + ' from ' + min + ' to ' + max];
      }
      rule.param = x * (unit || 1);
    }
  }
  for (const name in FIELDS) if (FIELDS[name][2] & bit && get(v, name) === undefined) return [name, 'missing'];
  return rule;
}

// ---- the engine ----------------------------------------------------------------------

/** A gap without activity longer than this starts a new session (the usual analytics rule). */
export const SESSION_GAP = 30 * 6e4;
// A scroll up by at least FAST_PX within FAST_MS is a "fast scroll up" (on touch screens,
// the thumb reaching for the address bar or the back gesture).
const FAST_PX = 400;
const FAST_MS = 400;
/** Bounds on what is remembered: viewed items, cart, items seen this session, name length. */
export const MAX = { viewed: 100, cart: 50, seen: 12, name: 200 };
const MAX_OPTIONS = 32;

/** An empty memory: what the prompts remember across pages and visits. */
export const blank = () => ({
  session: 0, // from 1; 0 before the first page
  lastActive: 0,
  shown: 0, // prompts shown this session
  returning: false, // the session began with items in the cart
  rules: [], // {id, lastShown (0 = never), never ("don't show again")}
  views: [], // {item, sessions (how many viewed it), lastSession}, least recent first
  cart: [],
  seen: [], // [item, category] viewed this session, least recent first
});

const push = (list, v, max) => {
  list.push(v);
  if (list.length > max) list.shift();
};

// A page-given name made safe for the stored form (tabs and newlines separate it): at most
// MAX.name code points, control characters turned into spaces, trimmed.
const clean = (s) => [...String(s == null ? '' : s).slice(0, 2 * MAX.name)].slice(0, MAX.name).join('').replace(/[\0-\x1f]/g, ' ').trim();

// ASCII case only, as documented (and as the Rust engine did).
const lower = (s) => s.replace(/[A-Z]+/g, (c) => c.toLowerCase());
/** Whether `url` contains one of `patterns`, ignoring ASCII case. */
export const matches = (url, patterns) => patterns.some((p) => p && lower(url).includes(lower(p)));

/**
 * Begins a page view at `now` (ms) on `url` (path and query) with a parsed `config` and the
 * stored `memory` (from `fromText`, else a blank one), continuing or starting a session.
 * `touch`: the device's primary pointer is coarse (exit intent differs). Every method that
 * may show a prompt returns the config's rule to show ({id, src, …}; `src` is its position
 * in the config's `rules`), or null.
 */
export function prompts(config, memory, now, url, touch) {
  let m = memory || blank();
  let cfg;
  const gap = now - m.lastActive;
  if (!m.session || !(gap >= 0 && gap <= SESSION_GAP)) {
    m.session++;
    m.shown = 0;
    m.seen = [];
    m.returning = m.session > 1 && m.cart.length > 0;
  }
  m.lastActive = now;

  // This page view.
  let excluded = false;
  let item = null; // the product viewed on this page
  let itemVisible = 0; // visible time on the page when it was viewed
  let carted = false; // it went into the cart on this page
  let shown = 0;
  let shownRules = [];
  let open = null;
  let compare = ''; // the category a comparison is about
  let hidden = false;
  let visibleMs = 0; // visible time accumulated before visibleSince
  let visibleSince = now;
  let field = false;
  let lastActive = now;
  const options = new Map(); // option name → current value
  const chosen = []; // every "name\nvalue" chosen on this page (names hold no control characters)
  let switches = 0;
  let back = false;
  let scrollY = 0;
  let run = []; // the current upward scroll: [time, offset] of the last FAST_MS, from the offset before it began

  const visible = (t) => visibleMs + (hidden ? 0 : Math.max(0, t - visibleSince));
  const activity = (t) => {
    lastActive = m.lastActive = t;
  };
  const cartHas = (id) => m.cart.includes(id);

  // When rule `r` may show at the earliest, ignoring what only a signal can change (focus,
  // visibility); null if it cannot show on this page at all.
  const earliest = (r) => {
    if (excluded || open || shown >= cfg.perPage || m.shown >= cfg.perSession || shownRules.includes(r) || (r.on.length && !matches(url, r.on))) return null;
    const k = m.rules.find((x) => x.id === r.id);
    return !k ? 0 : k.never ? null : k.lastShown > 0 ? k.lastShown + r.cooldown : 0;
  };

  const show = (r, t) => {
    const from = earliest(r);
    if (from == null || t < from || hidden || field) return null;
    let k = m.rules.find((x) => x.id === r.id);
    if (!k) m.rules.push((k = { id: r.id, lastShown: 0, never: false }));
    k.lastShown = t;
    open = r;
    shown++;
    shownRules.push(r);
    m.shown++;
    return r;
  };

  // The first rule of trigger `when` whose threshold `n` reaches (a count, or visible ms for
  // exit intent) and that may show now.
  const fire = (when, n, t) => {
    for (const r of cfg.rules) if (r.when === when && (when === 'no_results' || n >= r.param) && show(r, t)) return r;
    return null;
  };

  const exit = (t) => fire('exit_intent', visible(t), t);

  // When timed rule `r`'s condition holds (ignoring caps and cooldowns), or null.
  const due = (r, t) => {
    const cart = m.cart.length > 0;
    if (r.when === 'dwell') return item == null || carted || cartHas(item) || hidden ? null : t + Math.max(0, r.param - (visible(t) - itemVisible));
    if (r.when === 'cart_idle' && cart) return lastActive + r.param;
    if (r.when === 'cart_return' && cart && m.returning && !hidden) return t + Math.max(0, r.param - visible(t));
    return null;
  };

  const view = (id, category, t) => {
    activity(t);
    if (!id) return null;
    carted = false;
    itemVisible = visible(t);
    item = id;
    const at = m.views.findIndex((v) => v.item === id);
    const v = at < 0 ? { item: id, sessions: 0, lastSession: 0 } : m.views.splice(at, 1)[0];
    if (v.lastSession !== m.session) {
      v.sessions++;
      v.lastSession = m.session;
    }
    push(m.views, v, MAX.viewed);
    m.seen = m.seen.filter((s) => s[0] !== id);
    push(m.seen, [id, category], MAX.seen);
    const r = (!cartHas(id) && fire('repeat_view', v.sessions, t)) || (category && fire('compare', m.seen.filter((s) => s[1] === category).length, t));
    if (r && r.when === 'compare') compare = category;
    return r || null;
  };

  const variant = (name, value, t) => {
    activity(t);
    const was = options.get(name);
    const key = name + '\n' + value;
    if (was === value) return null;
    if (was != null) {
      switches++;
      back = back || chosen.includes(key);
    } else if (options.size >= MAX_OPTIONS) return null;
    options.set(name, value);
    if (chosen.length < MAX_OPTIONS * 4 && !chosen.includes(key)) chosen.push(key);
    return fire('variant', back ? switches : 0, t);
  };

  const scroll = (y, t) => {
    activity(t);
    let fast = false;
    if (y < scrollY) {
      if (!run.length) run.push([t, scrollY]);
      run.push([t, y]);
      // A sliding window: only the last FAST_MS of the run count, so a slow start does not
      // hide a fast flick.
      while (run.length > 64 || t - run[0][0] > FAST_MS) run.shift();
      fast = run[0][1] - y >= FAST_PX;
      if (fast) run = [];
    } else run = [];
    scrollY = y;
    return fast && touch ? exit(t) : null;
  };

  const api = {
    /**
     * Records a signal at `t`; returns the rule to show, or null. `kind`: "view" (a = item
     * id, b = category), "cart" / "remove_from_cart" / "purchase" (a = item id), "basket"
     * (a = the cart's ids, what the page states), "search" (a = number of results),
     * "variant" (a = option, b = value), "scroll" (a = y offset), "leave" (the pointer left
     * through the top), "hidden", "visible", "field" (a = focus is in a form field);
     * anything else is activity.
     */
    signal(kind, t, a, b) {
      let r = null;
      if (kind === 'view') r = view(clean(a), clean(b), t);
      else if (kind === 'cart') {
        activity(t);
        a = clean(a);
        if (item === a) carted = true;
        if (a && !cartHas(a)) push(m.cart, a, MAX.cart);
      } else if (kind === 'remove_from_cart' || kind === 'purchase') {
        activity(t);
        a = clean(a);
        m.cart = m.cart.filter((c) => c !== a);
      } else if (kind === 'basket') {
        const cart = [];
        for (let id of a || []) if ((id = clean(id)) && !cart.includes(id) && cart.length < MAX.cart) cart.push(id);
        if (cart.includes(item)) carted = true;
        m.cart = cart;
      } else if (kind === 'search') {
        activity(t);
        // An unknown count (NaN, negative) is not "no results"; a fraction rounds down.
        if (a >= 0 && a < 1) r = fire('no_results', 0, t);
      } else if (kind === 'variant') r = variant(clean(a), clean(b), t);
      else if (kind === 'scroll') r = scroll(a, t);
      else if (kind === 'leave') r = touch ? null : exit(t);
      else if (kind === 'hidden') {
        if (!hidden) {
          visibleMs = visible(t);
          hidden = true;
        }
      } else if (kind === 'visible') {
        if (hidden) {
          hidden = false;
          visibleSince = t;
          activity(t);
          // On touch screens, coming back to the tab is the exit signal there is.
          if (touch) r = exit(t);
        }
      } else if (kind === 'field') field = !!a;
      else activity(t);
      return r || api.tick(t);
    },

    /** Checks the timed triggers at `t` (call it when `next` comes due). */
    tick(t) {
      for (const r of cfg.rules) {
        const at = due(r, t);
        if (at != null && at <= t && show(r, t)) return r;
      }
      return null;
    },

    /** When to call `tick` next: the earliest future moment a timed rule could show, or
     * null when only a signal can change anything (then no timer is needed). */
    next(t) {
      let next = null;
      if (hidden || field) return next;
      for (const r of cfg.rules) {
        const d = due(r, t);
        const from = earliest(r);
        if (d == null || from == null) continue;
        const at = Math.max(d, from);
        if (at > t && (next == null || at < next)) next = at;
      }
      return next;
    },

    /** The open prompt was closed; `never`: "don't show this again". */
    closed(never) {
      const k = open && m.rules.find((x) => x.id === open.id);
      if (k) k.never = k.never || !!never;
      open = null;
    },

    /** Replaces the rules (the page configured again); the memory and this page's counts
     * stay, so a new config cannot lift this page's cap. */
    setConfig(c) {
      excluded = matches(url, c.neverOn);
      open = null;
      shownRules = [];
      cfg = c;
    },

    /** Forgets everything remembered (the shopper erased their data); the page goes on. */
    forget() {
      m = Object.assign(blank(), { session: 1, lastActive: m.lastActive });
    },

    /** The items a comparison shows: the latest 4 of the compared category, in viewing order. */
    compared: () => (compare ? m.seen.filter((s) => s[1] === compare).slice(-4).map((s) => s[0]) : []),
    memory: () => m,
    /** The rule whose prompt is open, or null. */
    open: () => open,
    /** Whether this page matches `neverOn`: nothing shows here, signals are still kept. */
    excluded: () => excluded,
  };
  api.setConfig(config);
  return api;
}

// ---- the stored form -----------------------------------------------------------------
// One record per line, fields separated by tabs (names never hold either: `clean`), whole
// milliseconds; the first line carries the version. The Rust engine wrote the same text, so
// a memory stored before the move reads unchanged. Unknown or damaged lines are skipped and
// every list is bounded again on the way in: a hand-edited value gives a smaller memory,
// never an error.
const HEADER = 'attune-prompts 1';
const uint = (v) => (v > 0 && v < Infinity ? Math.floor(v) : 0);
// A whole number of at most 15 digits (enough for ms timestamps), else null.
const num = (s) => (/^\d{1,15}$/.test(s) ? +s : null);

/** The memory as stored. */
export function toText(m) {
  const line = (...f) => '\n' + f.join('\t');
  let o = HEADER + line('p', uint(m.session), uint(m.lastActive), uint(m.shown), +m.returning);
  for (const r of m.rules) o += line('r', r.id, uint(r.lastShown), +r.never);
  for (const v of m.views) o += line('v', v.item, uint(v.sessions), uint(v.lastSession));
  for (const c of m.cart) o += line('c', c);
  for (const s of m.seen) o += line('s', s[0], s[1]);
  return o;
}

/** Reads the stored form; null if it is not a memory of this version. */
export function fromText(text) {
  const lines = String(text).split('\n');
  if (lines[0] !== HEADER) return null;
  const m = blank();
  for (const l of lines.slice(1)) {
    const [tag, a = '', b = '', c = '', d = ''] = l.split('\t');
    const n = [a, b, c].map(num);
    if (tag === 'p') {
      if (!n.includes(null)) [m.session, m.lastActive, m.shown, m.returning] = [...n, d === '1'];
    } else if (a) {
      if (tag === 'r') push(m.rules, { id: a, lastShown: n[1] || 0, never: c === '1' }, 64);
      if (tag === 'v') push(m.views, { item: a, sessions: n[1] || 0, lastSession: n[2] || 0 }, MAX.viewed);
      if (tag === 'c') push(m.cart, a, MAX.cart);
      if (tag === 's') push(m.seen, [a, b], MAX.seen);
    }
  }
  return m;
}
