//! The product page (product.html?id=ID): shows one product, tells Attune the shopper viewed
//! it, adds it to the shop's basket (and tells Attune), and hosts the "similar" placement for
//! this item. Unknown or missing ids get a friendly "not found", never a broken page.

import {
  findProduct,
  displayTitle,
  formatPrice,
  productPicture,
  cart,
  clampQty,
  trackWhenReady,
  placement,
  categoryOf,
} from "./shop.js";

const $ = (id) => document.getElementById(id);

// Ids are stock codes such as "85123A"; anything absurd is treated as "not found".
const id = (new URLSearchParams(location.search).get("id") || "").trim();
const plausible = id.length > 0 && id.length <= 64;

async function main() {
  const product = plausible ? await findProduct(id) : null;
  if (!product) {
    $("product").hidden = true;
    $("missing").hidden = false;
    $("crumb-title").textContent = "Not found";
    document.title = "Product not found — Parcel & Pine";
    // The model may know the item even if this listing does not: its similar row offers the
    // shopper a way on.
    if (plausible) showSimilar(id);
    document.body.dataset.ready = "missing";
    return;
  }

  const title = displayTitle(product);
  document.title = `${title} — Parcel & Pine`;
  $("crumb-title").textContent = title;
  $("product-title").textContent = title;
  $("product-picture").append(productPicture(product, "picture product-pic"));
  $("product-code").textContent = product.id;
  $("product-rank").textContent = `No. ${product.rank} best seller`;

  const add = $("add-to-cart");
  const qty = $("qty");
  if (product.price !== null) {
    $("product-price").textContent = formatPrice(product.price, product.currency);
  } else {
    $("product-price").textContent = "Currently unavailable";
    add.disabled = true;
    qty.disabled = true;
  }

  $("buy-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (add.disabled) return;
    const n = clampQty(qty.value);
    qty.value = String(n);
    cart.add(product, n);
    trackWhenReady("cart", product.id);
    const status = $("cart-status");
    status.replaceChildren(
      `Added ${n} × ${title} to your basket. `,
      Object.assign(document.createElement("a"), { href: "/cart.html", textContent: "View basket" }),
    );
  });

  $("product").classList.remove("pending");
  showSimilar(product.id);
  document.body.dataset.ready = "product";
  // A marker the end-to-end tests wait on before leaving the page.
  const facts = { title, price: product.price, currency: product.currency, category: categoryOf(product), url: location.href };
  if (await trackWhenReady("view", product.id, facts)) document.body.dataset.tracked = "view";
}

function showSimilar(item) {
  $("recs-similar").replaceChildren(placement("similar", { item, k: 6, heading: "You may also like" }));
  // "Recently viewed" on a product page skips the product itself.
  $("recs-recent").replaceChildren(placement("recent", { item, k: 6 }));
}

main();
