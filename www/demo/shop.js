//! The demo shop's own plumbing, shared by every page: the product list (products.json), the
//! shop's basket (its own localStorage key, separate from Attune's profile), prices, titles,
//! placeholder pictures drawn as DOM-built SVG, and a guarded bridge to `window.attune`.
//! It must not build HTML from strings (strict CSP, and titles are data), must not set style
//! attributes, and must keep the shop usable when Attune or its model fails to load.

const SVG = "http://www.w3.org/2000/svg";
export const CART_KEY = "demo-shop:cart";
const MAX_QTY = 99;

// ---------------------------------------------------------------------------------------------
// Theme: light, or the dark brand theme, kept in the shop's own localStorage key.

export const THEME_KEY = "demo-shop:theme";

function storedTheme() {
  try {
    return localStorage.getItem(THEME_KEY) === "dark" ? "dark" : "light";
  } catch {
    return "light";
  }
}

document.documentElement.dataset.theme = storedTheme();

function themeToggle() {
  const nav = document.querySelector(".nav");
  if (!nav || nav.querySelector(".theme-toggle")) return;
  const button = el("button", { type: "button", class: "theme-toggle" }, "Dark theme");
  const show = () => button.setAttribute("aria-pressed", String(document.documentElement.dataset.theme === "dark"));
  show();
  button.addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      /* the theme lasts for this page */
    }
    show();
  });
  nav.append(el("li", {}, button));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", themeToggle);
else themeToggle();

// ---------------------------------------------------------------------------------------------
// Catalog

let catalogPromise = null;

/** The shop's product list, most popular first: [{id, title, price, currency}, …].
 * Resolves to [] (never rejects) when the file is missing or malformed, so pages still draw. */
export function loadCatalog() {
  if (!catalogPromise) {
    catalogPromise = fetch("/demo/products.json")
      .then((r) => (r.ok ? r.json() : []))
      .then((list) => (Array.isArray(list) ? list.filter(isProduct).map(normalizeProduct) : []))
      .catch(() => []);
  }
  return catalogPromise;
}

function isProduct(p) {
  return p && typeof p === "object" && typeof p.id === "string" && p.id.length > 0;
}

function normalizeProduct(p, rank) {
  return {
    id: p.id,
    title: typeof p.title === "string" && p.title.trim() ? p.title.trim() : null,
    price: typeof p.price === "number" && Number.isFinite(p.price) && p.price > 0 ? p.price : null,
    currency: typeof p.currency === "string" && /^[A-Z]{3}$/.test(p.currency) ? p.currency : "GBP",
    rank: rank + 1,
  };
}

export async function findProduct(id) {
  const list = await loadCatalog();
  return list.find((p) => p.id === id) || null;
}

// ---------------------------------------------------------------------------------------------
// Words and numbers

/** Till-typed titles are SHOUTED ("WHITE HANGING HEART T-LIGHT HOLDER"); the shop shows
 * them in sentence case ("White hanging heart t-light holder"), the same treatment
 * shop.css gives the widget's cards, so a product reads the same everywhere. */
export function displayTitle(product) {
  if (!product || !product.title) return `Item ${product ? product.id : ""}`;
  const lower = product.title.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

const moneyFormats = new Map();
export function formatPrice(amount, currency = "GBP") {
  if (typeof amount !== "number" || !Number.isFinite(amount)) return "";
  let f = moneyFormats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat("en-GB", { style: "currency", currency });
    } catch {
      f = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
    }
    moneyFormats.set(currency, f);
  }
  return f.format(amount);
}

export function productUrl(id) {
  return `/product.html?id=${encodeURIComponent(id)}`;
}

/** Shorthand for building elements: el("p", {class: "x"}, "text", child, …). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Basket (the shop's own state; Attune keeps the shopper's profile under its own key)

function readLines() {
  try {
    const parsed = JSON.parse(localStorage.getItem(CART_KEY) || "null");
    const lines = parsed && Array.isArray(parsed.lines) ? parsed.lines : [];
    return lines
      .filter((l) => l && typeof l.id === "string" && Number.isInteger(l.qty) && l.qty > 0)
      .map((l) => ({
        id: l.id,
        title: typeof l.title === "string" ? l.title : null,
        price: typeof l.price === "number" && Number.isFinite(l.price) ? l.price : null,
        currency: typeof l.currency === "string" ? l.currency : "GBP",
        qty: Math.min(l.qty, MAX_QTY),
      }));
  } catch {
    return []; // unreadable or blocked storage: an empty basket, not a broken page
  }
}

function writeLines(lines) {
  try {
    localStorage.setItem(CART_KEY, JSON.stringify({ v: 1, lines }));
  } catch {
    // storage full or denied: the basket just won't persist
  }
  updateCartCount();
}

export const cart = {
  lines: readLines,
  /** Adds qty of a product; a product already in the basket gets its quantity raised. */
  add(product, qty) {
    const n = clampQty(qty);
    const lines = readLines();
    const line = lines.find((l) => l.id === product.id);
    if (line) line.qty = Math.min(line.qty + n, MAX_QTY);
    else
      lines.push({
        id: product.id,
        title: product.title,
        price: product.price,
        currency: product.currency || "GBP",
        qty: n,
      });
    writeLines(lines);
  },
  setQty(id, qty) {
    writeLines(readLines().map((l) => (l.id === id ? { ...l, qty: clampQty(qty) } : l)));
  },
  remove(id) {
    writeLines(readLines().filter((l) => l.id !== id));
  },
  clear() {
    writeLines([]);
  },
  count() {
    return readLines().reduce((n, l) => n + l.qty, 0);
  },
  total() {
    return readLines().reduce((sum, l) => sum + (l.price || 0) * l.qty, 0);
  },
};

/** Delivery is free from £30 (a small shop's usual nudge), else a flat £3.95. */
export const FREE_DELIVERY_FROM = 30;
export function deliveryFor(subtotal) {
  return subtotal <= 0 || subtotal >= FREE_DELIVERY_FROM ? 0 : 3.95;
}

export function clampQty(q) {
  const n = Math.floor(Number(q));
  return Number.isFinite(n) ? Math.max(1, Math.min(n, MAX_QTY)) : 1;
}

export function updateCartCount() {
  const n = cart.count();
  for (const node of document.querySelectorAll("[data-cart-count]")) {
    node.textContent = String(n);
  }
  for (const link of document.querySelectorAll(".cart-link")) {
    link.setAttribute("aria-label", `Basket, ${n} ${n === 1 ? "item" : "items"}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Attune bridge: the widget is an enhancement, so every call is guarded.

/** Tells Attune what the shopper did (`extra`: more facts, e.g. a view's title, price and
 * category for the help prompts' comparison). Never throws, even if the widget failed to load. */
export function track(type, item, extra = {}) {
  const a = window.attune;
  if (!a || typeof a.track !== "function") return false;
  try {
    a.track({ ...extra, type, item });
    return true;
  } catch (err) {
    console.warn("attune.track failed", err);
    return false;
  }
}

/** Erases Attune's profile of this shopper (the placements re-render). The shop's basket
 * is the shop's own business and stays. Returns whether the widget took the request. */
export function forgetShopper() {
  const a = window.attune;
  if (!a || typeof a.forget !== "function") return false;
  try {
    a.forget();
    return true;
  } catch (err) {
    console.warn("attune.forget failed", err);
    return false;
  }
}

/** Tracks once the widget has loaded its model (so the signal lands in the profile it keeps),
 * or not at all if it failed. Resolves to whether the signal was handed over. */
export async function trackWhenReady(type, item, extra) {
  return (await attuneReady()) && track(type, item, extra);
}

/** Resolves true once the widget is ready, false if it failed, is absent or takes longer
 * than `ms` (never rejects): the shop never waits on Attune for long. */
export function attuneReady(ms = 5000) {
  const a = window.attune;
  if (!a || !a.ready || typeof a.ready.then !== "function") return Promise.resolve(false);
  return Promise.race([
    // ready resolves to false when the widget could not start; treat a rejection the same.
    Promise.resolve(a.ready).then(
      (ok) => ok !== false,
      () => false,
    ),
    new Promise((resolve) => setTimeout(() => resolve(false), ms)),
  ]);
}

/** A placement element, made in script so its attributes are set before it connects.
 * `attrs` may carry `item`, `k` and `heading` (see docs/integration.md). */
export function placement(kind, attrs = {}) {
  const node = document.createElement("attune-recs");
  node.setAttribute("placement", kind);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  return node;
}

// ---------------------------------------------------------------------------------------------
// Placeholder pictures: a soft tile in the colour the title names, a pattern for spotty or
// stripy ranges, and a motif for what the thing is. Deterministic per item, drawn locally.

const PALETTES = {
  red: ["#f7dcd8", "#c0392b"],
  pink: ["#fbe1ea", "#cf5a83"],
  blue: ["#dce8f6", "#3a6db3"],
  green: ["#dfefe2", "#3d8653"],
  cream: ["#f5efe2", "#ad9060"],
  black: ["#e3e3e6", "#3a3a42"],
  silver: ["#eaedf1", "#717d8a"],
  gold: ["#f7ecd0", "#b0812a"],
  purple: ["#ebe2f4", "#7a4fa3"],
  orange: ["#fbe5d3", "#c96a2c"],
  yellow: ["#fbf1cc", "#b48a12"],
};
const COLOUR_WORDS = [
  [/\b(RED|RETROSPOT|STRAWBERRY|CHERRY)\b/, "red"],
  [/\b(PINK|ROSE|ROSES|ROSEBUD)\b/, "pink"],
  [/\b(BLUE|NAVY|TURQUOISE|AQUA)\b/, "blue"],
  [/\b(GREEN|MINT|LIME|SAGE)\b/, "green"],
  [/\b(WHITE|IVORY|CREAM|NATURAL)\b/, "cream"],
  [/\b(BLACK|JET)\b/, "black"],
  [/\b(SILVER|ZINC|METAL|CHROME)\b/, "silver"],
  [/\b(GOLD|GILT|BRASS)\b/, "gold"],
  [/\b(PURPLE|LILAC|LAVENDER|VIOLET)\b/, "purple"],
  [/\b(ORANGE|COPPER)\b/, "orange"],
  [/\b(YELLOW|LEMON)\b/, "yellow"],
];
const FALLBACK_PALETTES = ["orange", "green", "blue", "purple", "gold", "pink"];

const MOTIFS = [
  [/\bHEARTS?\b|SWEETHEART|\bLOVE\b/, "heart"],
  [/\bCLOCK\b/, "clock"],
  [/\b(MUG|MUGS|CUP|CUPS|TEACUP|TEA|COFFEE|SAUCER)\b/, "cup"],
  [/\b(CANDLES?|T-LIGHTS?|TEALIGHT|LANTERN|NIGHT LIGHT|LIGHTS)\b/, "candle"],
  [/\b(BAG|BAGS|PURSE|TOTE|SHOPPER)\b/, "bag"],
  [/\b(BOTTLE|JAR|JARS|JUG|VASE)\b/, "bottle"],
  [/\b(CAKE|CAKES|CAKESTAND|CUPCAKE|BAKING|CASES|BISCUIT)\b/, "cake"],
  [/\b(CARD|CARDS|WRAP|PAPER|NOTEBOOK|LETTER|ENVELOPE|NAPKINS|BOOK)\b/, "card"],
  [/\b(NECKLACE|EARRINGS|BRACELET|RING|CHARM|DIAMANTE|CRYSTAL|BEAD|BLING)\b/, "gem"],
  [/\b(BIRD|BIRDS|DOVE|ROBIN|OWL|HEN|CHICK)\b/, "bird"],
  [/\b(FLOWER|FLOWERS|DAISY|GARDEN|FLORAL|BLOSSOM|TULIP)\b/, "flower"],
  [/\b(STAR|STARS|CHRISTMAS|SNOWFLAKE|XMAS|TREE)\b/, "star"],
];

function hash(s) {
  let h = 0x811c9dc5; // FNV-1a: stable across sessions, so a product keeps its picture
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function starPoints(cx, cy, outer, inner) {
  const pts = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? inner : outer;
    const a = (Math.PI / 5) * i - Math.PI / 2;
    pts.push(`${(cx + r * Math.cos(a)).toFixed(1)},${(cy + r * Math.sin(a)).toFixed(1)}`);
  }
  return pts.join(" ");
}

function drawMotif(g, motif, fg, bg) {
  const fill = { fill: fg };
  const line = { fill: "none", stroke: fg, "stroke-width": 5, "stroke-linecap": "round" };
  const add = (tag, attrs) => g.append(svgEl(tag, attrs));
  switch (motif) {
    case "heart":
      add("path", { d: "M50 80C22 61 15 45 22 33c8-13 24-12 28 1c4-13 20-14 28-1c7 12 0 28-28 47z", ...fill });
      break;
    case "clock":
      add("circle", { cx: 50, cy: 52, r: 27, ...fill });
      add("circle", { cx: 50, cy: 52, r: 21, fill: bg });
      add("path", { d: "M50 52V38M50 52l10 6", ...line, "stroke-width": 4 });
      break;
    case "cup":
      add("path", { d: "M27 40h40v20a16 16 0 0 1-16 16h-8a16 16 0 0 1-16-16z", ...fill });
      add("path", { d: "M67 46a9 9 0 0 1 0 18", ...line });
      add("path", { d: "M22 82h52", ...line });
      add("path", { d: "M40 24c-4 4 4 6 0 10M54 24c-4 4 4 6 0 10", ...line, "stroke-width": 3 });
      break;
    case "candle":
      add("rect", { x: 36, y: 46, width: 28, height: 34, rx: 4, ...fill });
      add("path", { d: "M50 20c6 8 9 15 0 21c-9-6-6-13 0-21z", ...fill });
      add("path", { d: "M50 41v5", ...line, "stroke-width": 2 });
      break;
    case "bag":
      add("path", { d: "M25 40h50l-4 40H29z", ...fill });
      add("path", { d: "M38 40v-6a12 12 0 0 1 24 0v6", ...line });
      break;
    case "bottle":
      add("path", { d: "M42 20h16v12l9 10v34a5 5 0 0 1-5 5H38a5 5 0 0 1-5-5V42l9-10z", ...fill });
      add("rect", { x: 38, y: 52, width: 24, height: 14, rx: 2, fill: bg });
      break;
    case "cake":
      add("path", { d: "M30 50h40l-6 30H36z", ...fill });
      add("path", { d: "M28 50a22 18 0 0 1 44 0z", ...fill, opacity: 0.7 });
      add("circle", { cx: 50, cy: 27, r: 5, ...fill });
      break;
    case "card":
      add("rect", { x: 22, y: 32, width: 56, height: 38, rx: 3, ...fill });
      add("path", { d: "M24 34l26 20l26-20", fill: "none", stroke: bg, "stroke-width": 4, "stroke-linejoin": "round" });
      break;
    case "gem":
      add("circle", { cx: 50, cy: 58, r: 20, fill: "none", stroke: fg, "stroke-width": 6 });
      add("path", { d: "M40 30l5-8h10l5 8l-10 12z", ...fill });
      break;
    case "bird":
      add("path", { d: "M22 60c6-20 30-26 42-12l12-6l-6 13c-2 15-20 24-36 18L18 78z", ...fill });
      add("circle", { cx: 60, cy: 49, r: 3, fill: bg });
      break;
    case "flower":
      for (let i = 0; i < 5; i++) {
        const a = (Math.PI * 2 * i) / 5 - Math.PI / 2;
        add("circle", { cx: (50 + 15 * Math.cos(a)).toFixed(1), cy: (50 + 15 * Math.sin(a)).toFixed(1), r: 11, ...fill });
      }
      add("circle", { cx: 50, cy: 50, r: 8, fill: bg });
      break;
    case "star":
      add("polygon", { points: starPoints(50, 53, 30, 13), ...fill });
      break;
    default: // a wrapped gift: the shop's default
      add("rect", { x: 28, y: 46, width: 44, height: 32, rx: 2, ...fill });
      add("rect", { x: 24, y: 36, width: 52, height: 12, rx: 2, ...fill });
      add("rect", { x: 47, y: 36, width: 6, height: 42, fill: bg });
      add("path", { d: "M50 36c-10-14-22-6-12 0M50 36c10-14 22-6 12 0", ...line, "stroke-width": 4 });
  }
}

function drawPattern(svg, kind, fg, h) {
  const faint = { fill: fg, opacity: 0.12 };
  if (kind === "dots") {
    for (let y = 8; y < 100; y += 14)
      for (let x = (y / 14) % 2 ? 8 : 15; x < 100; x += 14)
        svg.append(svgEl("circle", { cx: x, cy: y, r: 3, ...faint }));
  } else if (kind === "stripes") {
    for (let x = -100; x < 100; x += 14)
      svg.append(svgEl("path", { d: `M${x} 100L${x + 100} 0`, stroke: fg, "stroke-width": 5, opacity: 0.1 }));
  } else if (kind === "checks") {
    for (let i = 0; i < 100; i += 20) {
      svg.append(svgEl("rect", { x: i, y: 0, width: 10, height: 100, ...faint }));
      svg.append(svgEl("rect", { x: 0, y: i, width: 100, height: 10, ...faint }));
    }
  } else {
    // two soft discs, placed by the id's hash so neighbouring tiles differ
    svg.append(svgEl("circle", { cx: 15 + (h % 70), cy: 10 + ((h >>> 8) % 25), r: 26, fill: fg, opacity: 0.07 }));
    svg.append(svgEl("circle", { cx: 15 + ((h >>> 16) % 70), cy: 90 - ((h >>> 24) % 20), r: 20, fill: fg, opacity: 0.06 }));
  }
}

// What kind of thing a product is, from the motif its title names ("" for the many that
// name none): the category the help prompts compare within (demo/prompts.js).
const CATEGORIES = {
  heart: "Hearts",
  clock: "Clocks",
  cup: "Cups and mugs",
  candle: "Candles and lights",
  bag: "Bags",
  bottle: "Bottles and jars",
  cake: "Baking",
  card: "Cards and paper",
  gem: "Jewellery",
  bird: "Birds",
  flower: "Flowers and garden",
  star: "Christmas",
};
export function categoryOf(product) {
  const title = (product && product.title ? product.title : "").toUpperCase();
  return CATEGORIES[(MOTIFS.find(([re]) => re.test(title)) || [])[1]] || "";
}

/** A decorative picture for a product (aria-hidden: the title beside it says what it is). */
export function productPicture(product, className = "picture") {
  const title = (product && product.title ? product.title : "").toUpperCase();
  const h = hash(product ? product.id : "");
  const colour =
    (COLOUR_WORDS.find(([re]) => re.test(title)) || [])[1] ||
    FALLBACK_PALETTES[h % FALLBACK_PALETTES.length];
  const [bg, fg] = PALETTES[colour];
  const motif = (MOTIFS.find(([re]) => re.test(title)) || [])[1] || "gift";
  const pattern = /RETROSPOT|POLKADOT|SPOTTY|DOTTY|\bSPOTS?\b/.test(title)
    ? "dots"
    : /STRIPE|STRIPY|STRIPES/.test(title)
      ? "stripes"
      : /GINGHAM|CHECK/.test(title)
        ? "checks"
        : "plain";

  const svg = svgEl("svg", {
    viewBox: "0 0 100 100",
    class: className,
    "aria-hidden": "true",
    focusable: "false",
    "data-motif": motif,
  });
  svg.append(svgEl("rect", { width: 100, height: 100, fill: bg }));
  drawPattern(svg, pattern, fg, h);
  const g = svgEl("g", {});
  drawMotif(g, motif, fg, bg);
  svg.append(g);
  return svg;
}

// ---------------------------------------------------------------------------------------------
// Product card for listings

export function productCard(product) {
  const link = el("a", { class: "card-link", href: productUrl(product.id) }, displayTitle(product));
  return el(
    "li",
    { class: "card", "data-id": product.id },
    productPicture(product, "picture card-picture"),
    el("h3", { class: "card-title" }, link),
    el(
      "p",
      { class: "card-price" },
      product.price !== null ? formatPrice(product.price, product.currency) : "Price on request",
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Every page

updateCartCount();
// Another tab changed the basket: keep the header honest.
window.addEventListener("storage", (e) => {
  if (e.key === CART_KEY) updateCartCount();
});
