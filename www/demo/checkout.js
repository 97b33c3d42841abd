//! Checkout and confirmation: a fake order form over the shop's basket. Placing the order
//! tells Attune about one purchase per basket line, empties the basket and shows a
//! confirmation in place. The form's contents go nowhere: submission is handled here and never
//! becomes a request or a URL.

import {
  cart,
  displayTitle,
  formatPrice,
  deliveryFor,
  el,
  track,
  placement,
  attuneReady,
} from "./shop.js";

const $ = (id) => document.getElementById(id);

function summaryItems(lines) {
  return lines.map((l) =>
    el(
      "li",
      { "data-id": l.id },
      el("span", { class: "summary-title" }, `${l.qty} × ${displayTitle(l)}`),
      el("span", { class: "summary-price" }, l.price !== null ? formatPrice(l.price * l.qty, l.currency) : "—"),
    ),
  );
}

function renderSummary() {
  const lines = cart.lines();
  $("checkout-empty").hidden = lines.length > 0;
  $("checkout-body").hidden = lines.length === 0;
  const currency = lines[0] ? lines[0].currency : "GBP";
  const subtotal = cart.total();
  const delivery = deliveryFor(subtotal);
  $("summary-lines").replaceChildren(...summaryItems(lines));
  $("summary-subtotal").textContent = formatPrice(subtotal, currency);
  $("summary-delivery").textContent = delivery === 0 ? "Free" : formatPrice(delivery, currency);
  $("summary-total").textContent = formatPrice(subtotal + delivery, currency);
}

function orderNumber() {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `PP-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase()}`;
}

const form = $("order-form");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = $("form-error");
  const invalid = Array.from(form.elements).filter((f) => f.willValidate && !f.checkValidity());
  for (const f of form.elements) {
    if (f.willValidate) f.setAttribute("aria-invalid", String(!f.checkValidity()));
  }
  if (invalid.length) {
    const names = invalid.map((f) => form.querySelector(`label[for="${f.id}"]`)?.textContent || f.name);
    error.textContent = `Please fill in: ${names.join(", ")}.`;
    invalid[0].focus();
    return;
  }
  error.textContent = "";

  const lines = cart.lines();
  if (lines.length === 0) {
    renderSummary();
    return;
  }
  const place = $("place-order");
  place.disabled = true;

  // Let the widget finish loading first so the purchases land in the profile it persists;
  // if it failed to load, the order still goes through.
  await attuneReady();
  for (const l of lines) track("purchase", l.id);
  cart.clear();
  form.reset();

  $("order-number").textContent = orderNumber();
  $("confirmation-lines").replaceChildren(...summaryItems(lines));
  $("checkout-step").hidden = true;
  const done = $("confirmation");
  done.hidden = false;
  $("recs-for-you").replaceChildren(placement("for-you", { k: 6, heading: "You might like these next" }));
  document.title = "Order placed — Parcel & Pine";
  done.focus();
  document.body.dataset.ordered = String(lines.length);
});

renderSummary();
