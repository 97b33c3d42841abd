//! The basket page: lists the shop's basket lines with quantities, totals and remove buttons,
//! and links to checkout. It only edits the shop's own basket; Attune heard about each
//! addition on the product page and hears about purchases at checkout.

import {
  cart,
  displayTitle,
  formatPrice,
  productPicture,
  productUrl,
  deliveryFor,
  clampQty,
  el,
  CART_KEY,
} from "./shop.js";

const $ = (id) => document.getElementById(id);

function render() {
  const lines = cart.lines();
  const empty = lines.length === 0;
  $("cart-empty").hidden = !empty;
  $("cart-lines").hidden = empty;
  $("cart-summary").hidden = empty;

  const currency = lines[0] ? lines[0].currency : "GBP";
  $("cart-body").replaceChildren(...lines.map((l) => row(l)));
  const subtotal = cart.total();
  const delivery = deliveryFor(subtotal);
  $("cart-subtotal").textContent = formatPrice(subtotal, currency);
  $("cart-delivery").textContent = delivery === 0 ? "Free" : formatPrice(delivery, currency);
  $("cart-total").textContent = formatPrice(subtotal + delivery, currency);
  // The shop's basket is the truth: the "cart" placement complements exactly these items.
  document.querySelector('attune-recs[placement="cart"]')?.setAttribute("items", lines.map((l) => l.id).join(" "));
  document.body.dataset.lines = String(lines.length);
}

function row(line) {
  const title = displayTitle(line);
  const qtyId = `qty-${line.id}`;
  const qty = el("input", {
    id: qtyId,
    type: "number",
    inputmode: "numeric",
    min: 1,
    max: 99,
    step: 1,
    value: line.qty,
    class: "qty-input",
  });
  qty.addEventListener("change", () => {
    const n = clampQty(qty.value);
    cart.setQty(line.id, n);
    announce(`${title}: quantity ${n}.`);
    render();
    $(qtyId)?.focus();
  });
  const remove = el(
    "button",
    { type: "button", class: "button-link remove", "aria-label": `Remove ${title}`, "data-attune-remove": line.id },
    "Remove",
  );
  remove.addEventListener("click", () => {
    cart.remove(line.id);
    announce(`Removed ${title} from your basket.`);
    render();
    // Keep keyboard focus somewhere sensible after the row disappears.
    (document.querySelector(".remove") || $("main")).focus();
  });
  return el(
    "tr",
    { "data-id": line.id },
    el("td", { class: "thumb" }, productPicture(line, "picture thumb-pic")),
    el("td", {}, el("a", { href: productUrl(line.id) }, title)),
    el("td", { class: "num" }, line.price !== null ? formatPrice(line.price, line.currency) : "—"),
    el("td", {}, el("label", { for: qtyId, class: "visually-hidden" }, `Quantity of ${title}`), qty),
    el("td", { class: "num" }, line.price !== null ? formatPrice(line.price * line.qty, line.currency) : "—"),
    el("td", {}, remove),
  );
}

function announce(text) {
  $("cart-status").textContent = text;
}

window.addEventListener("storage", (e) => {
  if (e.key === CART_KEY) render();
});

render();
