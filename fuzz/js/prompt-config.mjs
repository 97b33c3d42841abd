//! A small deterministic mutation fuzzer for the help-prompt config validator and the
//! prompts' stored memory (js/prompts-engine.js), which replaced the Rust `prompt_config`
//! cargo-fuzz target when the engine moved to JS. Seeds are real configs (docs/prompts.md's
//! examples, the demo's, a rich one); each input is 1–4 mutations of one: bytes (insert,
//! delete, flip, splice, truncate), JSON structure (a value replaced by another type, a
//! huge or deeply nested value, a field dropped, added, renamed or repeated, rules
//! multiplied past the cap). Oracles, for every input:
//! - `parseConfig` never throws and returns a well-formed config (settings in range);
//! - every error line names its field (`path: problem`), except the two whole-text errors,
//!   which come alone and leave no rules;
//! - each of the first 32 rules is either kept or named in an error, never both;
//! - a kept rule is valid on its own, and a rule valid on its own is kept unless its id was
//!   taken or it repeats a field (which JSON.parse hides);
//! - the engine runs a random timeline on the result without throwing, showing only its
//!   rules; `fromText` of mutated memory never throws, stays bounded and re-reads itself.
//! Run: node fuzz/js/prompt-config.mjs [--seconds 600] [--seed 1]; a short run is part of
//! tests/prompts-engine.test.mjs.

import { readFileSync } from 'node:fs';
import { MAX, blank, fromText, parseConfig, prompts, toText } from '../../js/prompts-engine.js';

const RICH = {
  perPage: 2, perSession: 4, neverOn: ['/checkout', 'pay'], currency: 'eur',
  labels: { close: 'Fermer', never: 'Plus jamais', thanks: 'Merci', price: 'Prix' },
  rules: [
    { id: 'dwell', when: 'dwell', seconds: 20, show: 'help', title: 'Help?', text: 't', link: { text: 'l', href: '/h' }, on: ['/p'] },
    { id: 'again', when: 'repeat_view', views: 2, show: 'help', title: 'Again?', cooldownHours: 0 },
    { id: 'cmp', when: 'compare', items: 2, show: 'compare', title: 'Compare', fields: ['fit', 'material'] },
    { id: 'size', when: 'variant', switches: 2, show: 'help', title: 'Size?' },
    { id: 'idle', when: 'cart_idle', minutes: 0.25, show: 'reassure', title: 'Facts', facts: ['a', 'b'] },
    { id: 'back', when: 'cart_return', seconds: 0, show: 'reassure', title: 'Back', facts: ['c'], link: { text: 'Basket', href: '/cart' } },
    { id: 'exit', when: 'exit_intent', seconds: 0, show: 'survey', choices: ['1', '2', '3', '4', '5'], cooldownHours: 8760 },
    { id: 'none', when: 'no_results', show: 'help', title: 'Nothing?' },
  ],
};

function seeds() {
  const out = [JSON.stringify(RICH), JSON.stringify(RICH, null, 2)];
  const doc = readFileSync(new URL('../../docs/prompts.md', import.meta.url), 'utf8');
  for (const b of doc.split('```json\n').slice(1)) out.push(b.split('```')[0]);
  return out;
}

// mulberry32: small, fast, and the same sequence for the same seed everywhere.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (list) => list[int(list.length)] };
}

const NAMES = ['id', 'when', 'show', 'title', 'text', 'link', 'facts', 'fields', 'choices', 'cooldownHours', 'on', 'seconds', 'minutes', 'views', 'items', 'switches', 'rules', 'perPage', 'perSession', 'neverOn', 'currency', 'labels', 'href', 'close', 'secnds', '__proto__', 'constructor', '0', '', 'ti\u0000tle', 'a": "b'];
const CHUNKS = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\u0000', '\ud800', '😀', 'é', '\\u0000', '\\ud800', '1e999', '-0', 'null', 'true', '"x":1,', '"title":"t",', '"id":"dup",'];

function value(r, depth = 0) {
  switch (r.int(depth > 3 ? 9 : 12)) {
    case 0: return null;
    case 1: return r.next() < 0.5;
    case 2: return r.pick([0, -0, 1, 2, 3, 4, 5, 0.25, 0.5, 2.5, -1, 45, 3600, 3601, 8760, 8761, 1e308, -1e308, 2 ** 53 + 1, 1e-300]);
    case 3: return r.int(100) - 10;
    case 4: return r.pick(['', ' ', 'x', 'dwell', 'help', 'compare', 'survey', 'no_results', 'exit_intent', 'GBP', 'gb', '/checkout', 'a b', '\t', '\u00a0', '\ufeff']);
    case 5: return 'x'.repeat(r.pick([39, 40, 41, 199, 200, 201, 499, 500, 501, 5000]));
    case 6: return r.pick(['é', '😀', '\u0000', '\n']).repeat(r.pick([1, 200, 250, 500, 501]));
    case 7: return r.pick(NAMES);
    case 8: return Array.from({ length: r.int(4) }, () => r.pick(['a', 'b', '', 1]));
    case 9: return Array.from({ length: r.int(8) }, () => value(r, depth + 1));
    case 10: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(NAMES), value(r, depth + 1)]));
    default: { // deep nesting
      let v = r.pick([1, 'x', []]);
      for (let i = r.int(1000); i > 0; i--) v = r.next() < 0.5 ? [v] : { a: v };
      return v;
    }
  }
}

// Every container in the value, with its path, for structural mutations.
function spots(v, out = []) {
  if (v && typeof v === 'object') {
    out.push(v);
    for (const k of Object.keys(v)) if (out.length < 200) spots(v[k], out);
  }
  return out;
}

function structural(r, text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return bytes(r, text);
  }
  const all = spots(v);
  if (!all.length) return JSON.stringify(value(r));
  const at = r.pick(all);
  const keys = Object.keys(at);
  const k = keys.length ? r.pick(keys) : Array.isArray(at) ? 0 : r.pick(NAMES);
  switch (r.int(7)) {
    case 0: at[k] = value(r); break; // another type or range
    case 1: if (Array.isArray(at)) at.splice(+k, 1); else delete at[k]; break; // dropped
    case 2: if (!Array.isArray(at)) at[r.pick(NAMES)] = value(r); else at.push(value(r)); break; // added
    case 3: if (!Array.isArray(at) && keys.length) { at[k + r.pick(['s', '_', 'X'])] = at[k]; delete at[k]; } break; // renamed
    case 4: if (Array.isArray(v.rules) && v.rules.length) { const n = r.pick([2, 5, 33]); v.rules = Array.from({ length: n }, (_, i) => v.rules[i % v.rules.length]); } break; // multiplied
    case 5: { // repeated: the same name twice in one object, which JSON.parse would hide
      const s = JSON.stringify(v);
      const opens = [...s.matchAll(/\{"/g)].map((m) => m.index);
      if (!opens.length) return s;
      const i = r.pick(opens) + 1;
      return s.slice(0, i) + JSON.stringify(r.pick(NAMES)) + ':' + JSON.stringify(value(r)) + ',' + s.slice(i);
    }
    default: if (Array.isArray(v.rules) && v.rules.length > 1) v.rules.reverse(); break;
  }
  return JSON.stringify(v, null, r.next() < 0.2 ? 1 : 0);
}

function bytes(r, text) {
  const i = r.int(text.length + 1);
  switch (r.int(6)) {
    case 0: return text.slice(0, i) + r.pick(CHUNKS) + text.slice(i);
    case 1: return text.slice(0, i) + text.slice(i + 1 + r.int(8));
    case 2: return text.slice(0, i) + String.fromCharCode(r.int(0x80)) + text.slice(i + 1);
    case 3: { const j = r.int(text.length + 1); return text.slice(0, i) + text.slice(Math.min(i, j), Math.max(i, j)) + text.slice(i); }
    case 4: return text.slice(0, i);
    default: return text.replace(/\d+/, () => String(r.pick([0, 1, 32, 999, 1e21, -5, 0.5])));
  }
}

const WHOLE = /^(not valid JSON \(|the config must be a JSON object$|the config is too long)/s;
const PROBLEM = /^(.+?): (unknown field|given twice|missing|expected .+|not used by this kind of rule|another rule already has this id|too many rules \(at most 32\))(; the rule is ignored)?$/s;
const SIGNALS = ['view', 'cart', 'remove_from_cart', 'purchase', 'basket', 'search', 'variant', 'scroll', 'leave', 'hidden', 'visible', 'field', 'activity', 'tick', 'close', 'never'];

/** Checks one input; returns the problems found ([] if none) and records error kinds. */
function check(text, r, kinds) {
  const bad = [];
  let c;
  try {
    c = parseConfig(text);
  } catch (e) {
    return ['parseConfig threw: ' + e];
  }
  if (!c || !Array.isArray(c.rules) || !Array.isArray(c.errors)) return ['not a config'];
  if (!(Number.isInteger(c.perPage) && c.perPage >= 0 && c.perPage <= 3)) bad.push('perPage ' + c.perPage);
  if (!(Number.isInteger(c.perSession) && c.perSession >= 0 && c.perSession <= 20)) bad.push('perSession ' + c.perSession);
  if (!c.neverOn.every((p) => typeof p === 'string' && p)) bad.push('neverOn');
  if (c.rules.length > 32) bad.push('more than 32 rules');
  for (const e of c.errors) {
    if (typeof e !== 'string') bad.push('error not a string');
    else if (WHOLE.test(e)) {
      kinds.add(e.startsWith('not') ? 'syntax' : e.includes('long') ? 'too long' : 'not an object');
      if (c.errors.length !== 1 || c.rules.length) bad.push('whole-text error with others: ' + e);
    } else {
      const m = PROBLEM.exec(e);
      if (!m) bad.push('error without a field: ' + e);
      else kinds.add(m[2].replace(/^expected .*/, 'expected').replace(/ \(.*/, ''));
    }
  }
  // Each rule kept or named; kept ones valid alone; valid-alone ones kept unless the id was
  // taken or a field repeats.
  let root;
  try {
    root = JSON.parse(text);
  } catch {
    root = null;
  }
  const list = !WHOLE.test(c.errors[0]) && root && typeof root === 'object' && !Array.isArray(root) && Array.isArray(root.rules) && !c.errors.includes('rules: given twice') ? root.rules : [];
  const ids = new Set(c.rules.map((x) => x.id));
  list.slice(0, 32).forEach((rule, i) => {
    const kept = c.rules.find((x) => x.src === i);
    const named = c.errors.filter((e) => e.startsWith('rules[' + i + ']'));
    if (!!kept === !!named.length) bad.push(`rules[${i}] kept ${!!kept}, named ${named.length} times`);
    let alone;
    try {
      alone = parseConfig(JSON.stringify({ rules: [rule] }));
    } catch (e) {
      bad.push('parseConfig threw on one rule: ' + e);
      return;
    }
    const valid = alone.errors.length === 0;
    if (kept && !valid) bad.push(`rules[${i}] kept but invalid alone: ${alone.errors}`);
    if (!kept && valid && !/another rule already has this id|given twice/.test(named.join())) bad.push(`rules[${i}] valid alone but dropped: ${named}`);
    if (!kept && valid && /another rule already has this id/.test(named.join()) && !ids.has(alone.rules[0].id)) bad.push(`rules[${i}] id clash with no kept rule`);
  });
  // The engine on the result: a random timeline never throws and shows only its own rules.
  try {
    let t = 1_732_590_000_000;
    const p = prompts(c, r.next() < 0.5 ? blank() : fromText(toText(blank())), t, r.pick(['/', '/product?id=1', '/checkout', '/p', '/cart']), r.next() < 0.5);
    for (let k = 0; k < 25; k++) {
      t += r.pick([0, 1, 250, 1000, 30_000, 3 * 60_000, 31 * 60_000]);
      const s = r.pick(SIGNALS);
      const shown = s === 'tick' ? p.tick(t) : s === 'close' || s === 'never' ? p.closed(s === 'never') : p.signal(s, t, s === 'basket' ? ['A', 'B'] : s === 'scroll' ? r.int(3000) : s === 'search' ? r.int(3) : r.pick(['A', 'B', 'C']), r.pick(['', 'c1', 'c2']));
      if (shown && !c.rules.includes(shown)) bad.push('showed a rule not in the config');
      const n = p.next(t);
      if (n != null && !(n > t)) bad.push('next tick not in the future');
    }
    const text2 = toText(p.memory());
    if (toText(fromText(text2)) !== text2) bad.push('memory does not re-read itself');
  } catch (e) {
    bad.push('the engine threw: ' + (e && e.stack));
  }
  return bad;
}

function memoryCheck(r) {
  const p = prompts(parseConfig(JSON.stringify(RICH)), blank(), 1_732_590_000_000, '/', false);
  for (let k = 0; k < 20; k++) p.signal(r.pick(['view', 'cart', 'variant']), 1_732_590_000_000 + k, 'I' + r.int(300), 'c' + r.int(3));
  let text = toText(p.memory());
  for (let k = 1 + r.int(4); k > 0; k--) text = bytes(r, text);
  try {
    const m = fromText(text);
    if (m === null) return [];
    const bad = [];
    if (m.views.length > MAX.viewed || m.cart.length > MAX.cart || m.seen.length > MAX.seen || m.rules.length > 64) bad.push('memory over its bounds');
    const again = toText(m);
    if (toText(fromText(again)) !== again) bad.push('memory does not re-read itself: ' + JSON.stringify(text));
    return bad;
  } catch (e) {
    return ['fromText threw: ' + e];
  }
}

/**
 * Runs `runs` inputs (or for `seconds`) from `seed`; returns {runs, findings (first 20,
 * with their input), kinds (error kinds reached), seconds}.
 */
export function fuzz({ seed = 1, runs = Infinity, seconds = Infinity } = {}) {
  const r = rng(seed);
  const pool = seeds();
  const kinds = new Set();
  const findings = [];
  const start = Date.now();
  let n = 0;
  for (; n < runs && (n % 64 || (Date.now() - start) / 1000 < seconds); n++) {
    let text = r.pick(pool);
    for (let k = 1 + r.int(4); k > 0; k--) text = r.next() < 0.6 ? structural(r, text) : bytes(r, text);
    const bad = n % 8 === 7 ? memoryCheck(r) : check(text, r, kinds);
    if (bad.length && findings.length < 20) findings.push({ input: text, bad });
    // Keep the pool growing with inputs that are still mostly valid, like a corpus.
    if (!bad.length && pool.length < 500 && r.next() < 0.05 && text.length < 20_000) pool.push(text);
  }
  return { runs: n, findings, kinds, seconds: (Date.now() - start) / 1000 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, d) => {
    const i = process.argv.indexOf('--' + name);
    return i > 0 ? +process.argv[i + 1] : d;
  };
  const res = fuzz({ seed: arg('seed', 1), seconds: arg('seconds', 60), runs: arg('runs', Infinity) });
  console.log(`${res.runs} inputs in ${res.seconds.toFixed(0)} s (${Math.round(res.runs / res.seconds)}/s), seed ${arg('seed', 1)}`);
  console.log('error kinds reached: ' + [...res.kinds].sort().join(', '));
  console.log(res.findings.length ? JSON.stringify(res.findings, null, 1) : 'findings: none');
  process.exitCode = res.findings.length ? 1 : 0;
}
