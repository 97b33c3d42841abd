//! The listing page: the product grid from products.json with search, sort and "Show more".
//! The Attune placements on this page are plain elements in index.html; the widget fills them.

import { loadCatalog, productCard, forgetShopper, attuneReady } from "./shop.js";

const PAGE = 24;

const grid = document.getElementById("product-grid");
const more = document.getElementById("show-more");
const count = document.getElementById("result-count");
const search = document.getElementById("search");
const sort = document.getElementById("sort");
const form = document.getElementById("filters");

let all = [];
let shown = 0;
let matches = [];

function words(q) {
  return q.toUpperCase().split(/\s+/).filter(Boolean);
}

function applyFilters() {
  const terms = words(search.value);
  matches = all.filter((p) => {
    const hay = `${p.title || ""} ${p.id}`.toUpperCase();
    return terms.every((t) => hay.includes(t));
  });
  const byPrice = (p) => (p.price === null ? Infinity : p.price);
  switch (sort.value) {
    case "price-asc":
      matches.sort((a, b) => byPrice(a) - byPrice(b) || a.rank - b.rank);
      break;
    case "price-desc":
      matches.sort((a, b) => (b.price ?? -1) - (a.price ?? -1) || a.rank - b.rank);
      break;
    case "title":
      matches.sort((a, b) => (a.title || a.id).localeCompare(b.title || b.id));
      break;
    default:
      matches.sort((a, b) => a.rank - b.rank);
  }
  grid.replaceChildren();
  shown = 0;
  showMore();
}

function showMore() {
  const next = matches.slice(shown, shown + PAGE);
  const firstNew = next.length ? productCard(next[0]) : null;
  if (firstNew) grid.append(firstNew, ...next.slice(1).map(productCard));
  const movedFocus = shown > 0 && firstNew;
  shown += next.length;
  more.hidden = shown >= matches.length;
  if (all.length === 0) {
    count.textContent = "The product list could not be loaded. Please try again later.";
  } else if (matches.length === 0) {
    count.textContent = `No products match “${search.value.trim()}”.`;
  } else {
    count.textContent = `Showing ${shown} of ${matches.length} ${matches.length === 1 ? "product" : "products"}`;
  }
  // Keyboard users who pressed "Show more" land on the first new product, not back at the top.
  if (movedFocus) firstNew.querySelector("a").focus();
}

let debounce = 0;
search.addEventListener("input", () => {
  clearTimeout(debounce);
  debounce = setTimeout(applyFilters, 120);
});
sort.addEventListener("change", applyFilters);
form.addEventListener("submit", (e) => {
  e.preventDefault(); // filtering is local: the query never goes into a URL
  applyFilters();
});
more.addEventListener("click", showMore);

document.getElementById("forget").addEventListener("click", async () => {
  const status = document.getElementById("forget-status");
  status.textContent =
    (await attuneReady()) && forgetShopper()
      ? "Done: this browser no longer remembers what you viewed or bought here."
      : "Recommendations are off in this browser right now, so nothing was erased.";
});

loadCatalog().then((list) => {
  all = list;
  applyFilters();
  document.body.dataset.catalog = String(list.length);
});
