//! The demo shop's help prompts (docs/prompts.md): what a small gift shop might offer a
//! hesitating shopper, and when. Every fact below is true of this demo. A real shop would
//! usually put this JSON in a <script type="application/json" data-attune-prompts> element;
//! the demo passes it through the JS API instead so all four pages share one copy.
//! Respectful by default: at most one prompt per page and two per visit, a day between
//! repeats of a rule, a month for the survey, nothing on checkout.

export const CONFIG = {
  perPage: 1,
  perSession: 2,
  neverOn: ["checkout", "payment"],
  currency: "GBP",
  rules: [
    {
      // Lingering on a product without adding it: offer the facts a gift buyer weighs.
      id: "gift-help",
      when: "dwell",
      seconds: 40,
      show: "help",
      on: ["/product"],
      title: "Choosing a gift?",
      text: "Delivery is free on baskets from £30 (otherwise £3.95). Nothing here is charged: this is a demo shop.",
      link: { text: "About this shop", href: "/index.html#about" },
    },
    {
      // A third thing of the same kind this visit: put them side by side.
      id: "compare",
      when: "compare",
      items: 3,
      show: "compare",
      title: "Comparing these?",
      text: "The ones you looked at most recently, side by side.",
    },
    {
      // Items in the basket and a quiet couple of minutes on the basket page.
      id: "basket-facts",
      when: "cart_idle",
      minutes: 2,
      show: "reassure",
      on: ["/cart"],
      title: "Good to know",
      facts: [
        "Delivery is free from £30; below that it is a flat £3.95.",
        "Checkout takes no payment and sends no order: this is a demo.",
        "Your basket stays in this browser until you empty it.",
      ],
    },
    {
      // A new visit, and the basket still holds something from last time.
      id: "welcome-back",
      when: "cart_return",
      seconds: 3,
      show: "help",
      title: "Welcome back",
      text: "Your basket is as you left it.",
      link: { text: "View your basket", href: "/cart.html" },
    },
    {
      // A search that found nothing (pages that track searches with a result count).
      id: "no-match",
      when: "no_results",
      show: "help",
      title: "Nothing matched",
      text: "Try one word, such as “heart”, “bag” or “candle”.",
    },
    {
      // About to leave after a real look around: one question, answered in one click.
      id: "exit-survey",
      when: "exit_intent",
      seconds: 30,
      show: "survey",
      cooldownHours: 720,
      text: "One click. Your answer stays in this browser.",
    },
  ],
};

const a = globalThis.window && window.attune;
if (a && typeof a.prompts === "function") a.prompts(CONFIG);
