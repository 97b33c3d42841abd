//! The engine on simulated timelines: no browser, no clock, every time explicit. Each
//! trigger fires exactly when it should and not otherwise; caps, cooldowns, "don't show
//! again", excluded pages and form fields hold; the stored form round-trips, survives
//! damage and reads what earlier engines wrote. Configs are read with serde_json into the
//! same `Value` the browser hands over. (Ported from tests/prompts-engine.test.mjs, which
//! had ported the first Rust engine's tests: same names, same timelines.)

use super::*;

/// A config from JSON text, as the browser's `JSON.parse` + serde would give it.
pub(crate) fn parse_text(text: &str) -> Config {
    parse(&serde_json::from_str::<Value>(text).expect("test JSON"))
}

const S: f64 = 1000.0;
const MIN: f64 = 60_000.0;
/// A realistic epoch (ms) so "0 = never" never collides with a real time.
const T0: f64 = 1_732_590_000_000.0;

fn config(rules: &str) -> Config {
    let c = parse_text(&format!("{{\"perSession\": 5, \"rules\": [{rules}]}}"));
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c
}

fn page(rules: &str, memory: Memory, now: f64, url: &str) -> Prompts {
    Prompts::new(config(rules), memory, now, url, false)
}

fn id(p: &Prompts, shown: Option<usize>) -> Option<String> {
    shown.map(|i| p.config().rules[i].id.clone())
}

fn signal_id(p: &mut Prompts, s: Signal, now: f64) -> Option<String> {
    let shown = p.signal(s, now);
    id(p, shown)
}

fn tick_id(p: &mut Prompts, now: f64) -> Option<String> {
    let shown = p.tick(now);
    id(p, shown)
}

fn view(id: &str, category: &str) -> Signal {
    Signal::View(id.into(), category.into())
}

const DWELL: &str = r#"{"id":"dwell","when":"dwell","seconds":45,"show":"help","title":"Help?"}"#;

#[test]
fn dwell_fires_at_n_visible_seconds_on_a_product_page() {
    let mut p = page(DWELL, Memory::default(), T0, "/product?id=1");
    assert_eq!(p.next_tick(T0), None, "no item viewed: not a product page");
    assert_eq!(p.signal(view("A", ""), T0 + 2.0 * S), None);
    assert_eq!(p.next_tick(T0 + 2.0 * S), Some(T0 + 47.0 * S));
    assert_eq!(p.tick(T0 + 46.999 * S), None);
    assert_eq!(tick_id(&mut p, T0 + 47.0 * S).as_deref(), Some("dwell"));
    assert_eq!(p.open(), Some(0));
    assert_eq!(p.tick(T0 + 200.0 * S), None, "shown once");
    assert_eq!(p.next_tick(T0 + 200.0 * S), None);
}

#[test]
fn dwell_counts_only_visible_time_and_waits_for_form_fields() {
    let mut p = page(DWELL, Memory::default(), T0, "/p");
    p.signal(view("A", ""), T0);
    p.signal(Signal::Hidden, T0 + 10.0 * S);
    assert_eq!(p.next_tick(T0 + 10.0 * S), None, "no timer while hidden");
    assert_eq!(p.tick(T0 + 100.0 * S), None);
    assert_eq!(p.signal(Signal::Visible, T0 + 100.0 * S), None);
    assert_eq!(p.next_tick(T0 + 100.0 * S), Some(T0 + 135.0 * S));
    p.signal(Signal::Field(true), T0 + 120.0 * S);
    assert_eq!(
        p.tick(T0 + 140.0 * S),
        None,
        "never while typing in a field"
    );
    assert_eq!(p.next_tick(T0 + 140.0 * S), None);
    assert_eq!(
        signal_id(&mut p, Signal::Field(false), T0 + 150.0 * S).as_deref(),
        Some("dwell"),
        "shows once focus leaves the field"
    );
}

#[test]
fn dwell_stays_quiet_once_the_item_is_in_the_cart() {
    let mut p = page(DWELL, Memory::default(), T0, "/p");
    p.signal(view("A", ""), T0);
    p.signal(Signal::Cart("A".into()), T0 + 5.0 * S);
    assert_eq!(p.tick(T0 + 60.0 * S), None);
    assert_eq!(p.next_tick(T0 + 60.0 * S), None);
    // Next visit to the same item: still in the cart, still quiet.
    let mut p = page(DWELL, p.memory().clone(), T0 + 120.0 * S, "/p");
    p.signal(view("A", ""), T0 + 120.0 * S);
    assert_eq!(p.tick(T0 + 300.0 * S), None);
    // Another item is fine.
    p.signal(view("B", ""), T0 + 301.0 * S);
    assert!(p.tick(T0 + 346.0 * S).is_some());
}

#[test]
fn repeat_views_count_sessions_not_page_loads() {
    let rule =
        r#"{"id":"again","when":"repeat_view","views":3,"show":"help","title":"Still deciding?"}"#;
    let mut now = T0;
    let mut memory = Memory::default();
    for session in 1..=3 {
        // Three views in the same session count once.
        for load in 0..3 {
            let mut p = page(rule, memory.clone(), now, "/p");
            let shown = p.signal(view("A", ""), now);
            assert_eq!(p.memory().session, session);
            if session == 3 && load == 0 {
                assert_eq!(id(&p, shown).as_deref(), Some("again"));
            } else {
                // Sessions 1 and 2: too few; later loads of session 3: cooling down.
                assert_eq!(shown, None, "session {session}, load {load}");
            }
            memory = p.memory().clone();
            now += 5.0 * MIN;
        }
        now += SESSION_GAP_MS + S;
    }
    assert_eq!(memory.views[0].sessions, 3);
    // Not about an item that is already in the cart.
    let mut p = page(
        r#"{"id":"again","when":"repeat_view","views":2,"show":"help","title":"t","cooldownHours":0}"#,
        memory,
        now,
        "/p",
    );
    p.signal(Signal::Cart("A".into()), now);
    assert_eq!(p.signal(view("A", ""), now), None);
}

#[test]
fn comparison_fires_on_the_nth_item_of_one_category() {
    let rule = r#"{"id":"cmp","when":"compare","items":3,"show":"compare","title":"Compare","fields":["fit"]}"#;
    let mut p = page(rule, Memory::default(), T0, "/");
    assert_eq!(p.signal(view("A", "shirts"), T0), None);
    assert_eq!(p.signal(view("X", "shoes"), T0 + S), None);
    assert_eq!(p.signal(view("B", "shirts"), T0 + 2.0 * S), None);
    assert_eq!(
        p.signal(view("A", "shirts"), T0 + 3.0 * S),
        None,
        "the same item twice is one"
    );
    assert_eq!(
        p.signal(view("Y", ""), T0 + 4.0 * S),
        None,
        "no category, no comparison"
    );
    assert_eq!(
        signal_id(&mut p, view("C", "shirts"), T0 + 5.0 * S).as_deref(),
        Some("cmp")
    );
    assert_eq!(p.compared(), ["B", "A", "C"]);
    // Across pages of one session too, but not across sessions.
    let mut p = page(rule, Memory::default(), T0, "/");
    p.signal(view("A", "shirts"), T0);
    let mut p2 = page(rule, p.memory().clone(), T0 + MIN, "/");
    p2.signal(view("B", "shirts"), T0 + MIN);
    let mut p3 = page(
        rule,
        p2.memory().clone(),
        T0 + 2.0 * MIN + SESSION_GAP_MS,
        "/",
    );
    assert_eq!(
        p3.signal(view("C", "shirts"), T0 + 2.0 * MIN + SESSION_GAP_MS),
        None
    );
    let mut p3 = page(rule, p2.memory().clone(), T0 + 2.0 * MIN, "/");
    assert!(p3.signal(view("C", "shirts"), T0 + 2.0 * MIN).is_some());
}

#[test]
fn compared_items_are_the_latest_four() {
    let rule = r#"{"id":"cmp","when":"compare","items":2,"show":"compare","title":"Compare","cooldownHours":0}"#;
    let mut memory = Memory::default();
    let mut now = T0;
    for item in ["A", "B", "C", "D", "E"] {
        let mut p = page(rule, memory, now, "/");
        p.signal(view(item, "mugs"), now);
        if item == "E" {
            assert_eq!(p.compared(), ["B", "C", "D", "E"]);
        }
        memory = p.memory().clone();
        now += MIN;
    }
}

#[test]
fn option_hesitation_needs_switching_back_and_forth() {
    let rule = r#"{"id":"size","when":"variant","switches":3,"show":"help","title":"Size?"}"#;
    let v = |n: &str, x: &str| Signal::Variant(n.into(), x.into());
    let mut p = page(rule, Memory::default(), T0, "/p");
    for (i, size) in ["S", "M", "L", "XL"].iter().enumerate() {
        assert_eq!(
            p.signal(v("size", size), T0 + i as f64 * S),
            None,
            "forward only"
        );
    }
    let mut p = page(rule, Memory::default(), T0, "/p");
    assert_eq!(p.signal(v("size", "S"), T0), None);
    assert_eq!(
        p.signal(v("size", "S"), T0 + S),
        None,
        "the same value is no switch"
    );
    assert_eq!(
        p.signal(v("colour", "red"), T0 + S),
        None,
        "a first choice is no switch"
    );
    assert_eq!(p.signal(v("size", "M"), T0 + 2.0 * S), None);
    assert_eq!(p.signal(v("size", "S"), T0 + 3.0 * S), None, "two switches");
    assert_eq!(
        signal_id(&mut p, v("size", "M"), T0 + 4.0 * S).as_deref(),
        Some("size")
    );
}

#[test]
fn cart_idle_fires_after_n_minutes_without_activity() {
    let rule = r#"{"id":"idle","when":"cart_idle","minutes":2,"show":"reassure","title":"Good to know","facts":["Free returns"]}"#;
    let mut p = page(rule, Memory::default(), T0, "/cart");
    assert_eq!(p.next_tick(T0), None, "empty cart");
    assert_eq!(p.tick(T0 + 10.0 * MIN), None);
    p.signal(Signal::Cart("A".into()), T0 + 10.0 * MIN);
    assert_eq!(p.next_tick(T0 + 10.0 * MIN), Some(T0 + 12.0 * MIN));
    p.signal(Signal::Activity, T0 + 11.0 * MIN);
    assert_eq!(p.tick(T0 + 12.0 * MIN), None, "activity resets the clock");
    assert_eq!(p.next_tick(T0 + 12.0 * MIN), Some(T0 + 13.0 * MIN));
    assert_eq!(tick_id(&mut p, T0 + 13.0 * MIN).as_deref(), Some("idle"));
    // Emptied cart: quiet.
    let mut p = page(rule, Memory::default(), T0, "/cart");
    p.signal(Signal::Cart("A".into()), T0);
    p.signal(Signal::Purchase("A".into()), T0 + S);
    assert_eq!(p.tick(T0 + 60.0 * MIN), None);
}

#[test]
fn returning_visitor_with_a_cart() {
    let rule =
        r#"{"id":"back","when":"cart_return","seconds":3,"show":"help","title":"Welcome back"}"#;
    let mut p = page(rule, Memory::default(), T0, "/");
    p.signal(Signal::Cart("A".into()), T0);
    assert_eq!(p.tick(T0 + MIN), None, "first session: not returning");
    let memory = p.memory().clone();
    let later = T0 + MIN + 5.0;
    let mut same = page(rule, memory.clone(), later, "/");
    assert_eq!(same.tick(later + MIN), None, "same session");
    let next_day = T0 + 24.0 * 60.0 * MIN;
    let mut back = page(rule, memory.clone(), next_day, "/");
    assert_eq!(back.next_tick(next_day), Some(next_day + 3.0 * S));
    assert_eq!(back.tick(next_day + 2.0 * S), None);
    assert_eq!(
        tick_id(&mut back, next_day + 3.0 * S).as_deref(),
        Some("back")
    );
    // A second page of the returning session, before the delay on the first: still due.
    let mut first = page(rule, memory.clone(), next_day, "/");
    first.signal(Signal::Activity, next_day + S);
    let mut second = page(rule, first.memory().clone(), next_day + 2.0 * S, "/list");
    assert_eq!(
        tick_id(&mut second, next_day + 5.0 * S).as_deref(),
        Some("back")
    );
    // Nothing left in the cart: nothing to come back for.
    let mut empty = memory;
    empty.cart.clear();
    let mut p = page(rule, empty, next_day, "/");
    assert_eq!(p.tick(next_day + MIN), None);
}

const EXIT: &str = r#"{"id":"exit","when":"exit_intent","seconds":10,"show":"survey"}"#;

#[test]
fn exit_intent_on_desktop_is_the_pointer_leaving_through_the_top() {
    let mut p = page(EXIT, Memory::default(), T0, "/");
    assert_eq!(
        p.signal(Signal::PointerLeftTop, T0 + 9.0 * S),
        None,
        "before the minimum dwell"
    );
    assert_eq!(p.signal(Signal::Hidden, T0 + 11.0 * S), None);
    assert_eq!(
        p.signal(Signal::Visible, T0 + 20.0 * S),
        None,
        "tab switching is not exit intent on desktop"
    );
    assert_eq!(p.signal(Signal::Scroll(2000.0), T0 + 21.0 * S), None);
    assert_eq!(
        p.signal(Signal::Scroll(0.0), T0 + 21.0 * S),
        None,
        "nor a fast scroll"
    );
    assert_eq!(
        signal_id(&mut p, Signal::PointerLeftTop, T0 + 22.0 * S).as_deref(),
        Some("exit")
    );
}

#[test]
fn exit_intent_on_touch_is_coming_back_or_a_fast_scroll_up() {
    let touch = |now| Prompts::new(config(EXIT), Memory::default(), now, "/", true);
    let mut p = touch(T0);
    assert_eq!(p.signal(Signal::PointerLeftTop, T0 + 30.0 * S), None);
    p.signal(Signal::Hidden, T0 + 5.0 * S);
    assert_eq!(
        p.signal(Signal::Visible, T0 + 60.0 * S),
        None,
        "5 s visible is under the minimum"
    );
    p.signal(Signal::Hidden, T0 + 66.0 * S);
    assert_eq!(
        signal_id(&mut p, Signal::Visible, T0 + 70.0 * S).as_deref(),
        Some("exit")
    );

    let mut p = touch(T0);
    let at = T0 + 20.0 * S;
    p.signal(Signal::Scroll(1500.0), at);
    // Slow: 1000 px up over three seconds.
    for (k, y) in [1200.0, 900.0, 600.0, 500.0].iter().enumerate() {
        assert_eq!(
            p.signal(Signal::Scroll(*y), at + (k + 1) as f64 * 750.0),
            None
        );
    }
    // A slow start, then a flick: only the last 400 ms count.
    p.signal(Signal::Scroll(3000.0), at + 4.0 * S);
    assert_eq!(p.signal(Signal::Scroll(2900.0), at + 4.2 * S), None);
    assert_eq!(p.signal(Signal::Scroll(2800.0), at + 4.9 * S), None);
    assert_eq!(
        p.signal(Signal::Scroll(2500.0), at + 5.0 * S),
        None,
        "300 px"
    );
    assert_eq!(
        signal_id(&mut p, Signal::Scroll(2300.0), at + 5.2 * S).as_deref(),
        Some("exit"),
        "500 px in the last 300 ms"
    );
}

#[test]
fn no_results_search() {
    let rule = r#"{"id":"none","when":"no_results","show":"help","title":"Can we help?"}"#;
    let mut p = page(rule, Memory::default(), T0, "/search");
    assert_eq!(p.signal(Signal::Search(4.0), T0), None);
    assert_eq!(
        signal_id(&mut p, Signal::Search(0.0), T0 + S).as_deref(),
        Some("none")
    );
}

const TWO: &str = r#"{"id":"none","when":"no_results","show":"help","title":"a","cooldownHours":1},
                    {"id":"exit","when":"exit_intent","seconds":0,"show":"survey","cooldownHours":0}"#;

#[test]
fn one_prompt_per_page_view_even_after_closing() {
    let mut p = page(TWO, Memory::default(), T0, "/");
    assert!(p.signal(Signal::Search(0.0), T0).is_some());
    assert_eq!(
        p.signal(Signal::PointerLeftTop, T0 + S),
        None,
        "one is open"
    );
    p.closed(false);
    assert_eq!(
        p.signal(Signal::PointerLeftTop, T0 + 2.0 * S),
        None,
        "per page: 1"
    );
    let mut next = page(TWO, p.memory().clone(), T0 + 3.0 * S, "/");
    assert_eq!(
        signal_id(&mut next, Signal::PointerLeftTop, T0 + 4.0 * S).as_deref(),
        Some("exit")
    );
}

#[test]
fn per_session_cap_and_cooldown_hold_across_pages() {
    let cfg = |per_session: u32| {
        let mut c = config(TWO);
        c.per_session = per_session;
        c
    };
    let mut memory = Memory::default();
    let mut now = T0;
    let mut shown = Vec::new();
    for _ in 0..6 {
        let mut p = Prompts::new(cfg(2), memory, now, "/", false);
        if let Some(i) = p
            .signal(Signal::Search(0.0), now)
            .or_else(|| p.signal(Signal::PointerLeftTop, now))
        {
            shown.push(id(&p, Some(i)).unwrap());
            p.closed(false);
        }
        memory = p.memory().clone();
        now += MIN;
    }
    assert_eq!(shown, ["none", "exit"], "two per session");
    // A new session: the cap resets, the 1-hour cooldown of "none" does not.
    now += SESSION_GAP_MS + S;
    let mut p = Prompts::new(cfg(2), memory.clone(), now, "/", false);
    assert_eq!(p.signal(Signal::Search(0.0), now), None, "cooling down");
    assert_eq!(
        signal_id(&mut p, Signal::PointerLeftTop, now).as_deref(),
        Some("exit")
    );
    let later = T0 + 61.0 * MIN + SESSION_GAP_MS;
    let mut p = Prompts::new(cfg(2), memory, later, "/", false);
    assert_eq!(
        signal_id(&mut p, Signal::Search(0.0), later).as_deref(),
        Some("none")
    );
    // perSession 0 switches prompts off.
    let mut p = Prompts::new(cfg(0), Memory::default(), T0, "/", false);
    assert_eq!(p.signal(Signal::Search(0.0), T0), None);
}

#[test]
fn dont_show_again_is_for_good() {
    let rule = r#"{"id":"none","when":"no_results","show":"help","title":"a","cooldownHours":0}"#;
    let mut p = page(rule, Memory::default(), T0, "/");
    assert!(p.signal(Signal::Search(0.0), T0).is_some());
    p.closed(true);
    let memory = Memory::from_text(&p.memory().to_text()).unwrap();
    for k in 1..5 {
        let now = T0 + k as f64 * 400.0 * 24.0 * 60.0 * MIN;
        let mut p = page(rule, memory.clone(), now, "/");
        assert_eq!(p.signal(Signal::Search(0.0), now), None);
    }
}

#[test]
fn checkout_pages_show_nothing_but_still_learn() {
    let rules = r#"{"id":"none","when":"no_results","show":"help","title":"a"},
                   {"id":"idle","when":"cart_idle","minutes":1,"show":"help","title":"b"}"#;
    let mut p = page(rules, Memory::default(), T0, "/shop/Checkout.html?step=2");
    assert!(p.excluded());
    p.signal(Signal::Cart("A".into()), T0);
    assert_eq!(p.signal(Signal::Search(0.0), T0 + S), None);
    assert_eq!(p.next_tick(T0 + S), None);
    assert_eq!(p.tick(T0 + 10.0 * MIN), None);
    p.signal(Signal::Purchase("A".into()), T0 + 11.0 * MIN);
    assert!(
        p.memory().cart.is_empty(),
        "the purchase still empties the cart"
    );
    let mut c = config(rules);
    c.never_on = vec!["/pay".into()];
    let mut p = Prompts::new(c, Memory::default(), T0, "/pay/card", false);
    assert_eq!(p.signal(Signal::Search(0.0), T0), None);
    assert!(!page(rules, Memory::default(), T0, "/product").excluded());
}

#[test]
fn rules_show_only_where_configured() {
    let rule = r#"{"id":"none","when":"no_results","show":"help","title":"a","on":["/search"]}"#;
    let mut p = page(rule, Memory::default(), T0, "/product?id=1");
    assert_eq!(p.signal(Signal::Search(0.0), T0), None);
    let mut p = page(rule, Memory::default(), T0, "/Search?q=x");
    assert!(p.signal(Signal::Search(0.0), T0).is_some());
}

#[test]
fn event_triggers_are_dropped_while_a_form_field_has_focus() {
    let rule = r#"{"id":"none","when":"no_results","show":"help","title":"a"}"#;
    let mut p = page(rule, Memory::default(), T0, "/");
    p.signal(Signal::Field(true), T0);
    assert_eq!(p.signal(Signal::Search(0.0), T0 + S), None);
    assert_eq!(
        p.signal(Signal::Field(false), T0 + 2.0 * S),
        None,
        "not replayed later"
    );
    assert!(p.signal(Signal::Search(0.0), T0 + 3.0 * S).is_some());
}

#[test]
fn config_order_decides_between_rules_firing_together() {
    let rules = r#"{"id":"first","when":"no_results","show":"help","title":"a"},
                   {"id":"second","when":"no_results","show":"help","title":"b"}"#;
    let mut p = page(rules, Memory::default(), T0, "/");
    assert_eq!(
        signal_id(&mut p, Signal::Search(0.0), T0).as_deref(),
        Some("first")
    );
}

#[test]
fn memory_round_trips_and_tolerates_damage() {
    let rules = r#"{"id":"cmp","when":"compare","items":2,"show":"compare","title":"c"},
                   {"id":"none","when":"no_results","show":"help","title":"n"}"#;
    let mut p = page(rules, Memory::default(), T0, "/");
    p.signal(view("A\t1\n", "mugs"), T0);
    assert!(p.signal(view("B", "mugs"), T0 + S).is_some());
    p.signal(Signal::Cart("B".into()), T0 + S);
    p.closed(true);
    let m = p.memory().clone();
    assert_eq!(
        m.seen[0],
        ("A 1".to_string(), "mugs".to_string()),
        "control characters cleaned"
    );
    let text = m.to_text();
    assert_eq!(
        text,
        "attune-prompts 1\np\t1\t1732590001000\t1\t0\nr\tcmp\t1732590001000\t1\n\
         v\tA 1\t1\t1\nv\tB\t1\t1\nc\tB\ns\tA 1\tmugs\ns\tB\tmugs"
    );
    assert_eq!(Memory::from_text(&text), Some(m.clone()));
    assert_eq!(Memory::from_text(""), None);
    assert_eq!(Memory::from_text("attune-prompts 2\np\t1\t2\t3\t0"), None);
    assert_eq!(Memory::from_text("{\"v\":1}"), None);
    let odd = Memory::from_text(
        "attune-prompts 1\nx\ty\nr\nr\tok\t-5\t1\nc\t\nc\tA\ns\tB\nv\tC\tmany\t2\np\t1\tsoon\t0\t0",
    )
    .unwrap();
    assert_eq!(odd.session, 0, "a damaged p line is ignored");
    assert_eq!(
        odd.rules,
        [RuleMemory {
            id: "ok".into(),
            last_shown: 0.0,
            never: true
        }]
    );
    assert_eq!(odd.cart, ["A"]);
    assert_eq!(odd.seen, [("B".to_string(), String::new())]);
    assert_eq!(odd.views[0].sessions, 0);
    // Bounds hold on the way in.
    let big: String = (0..500).map(|i| format!("\nc\t{i}")).collect();
    let m = Memory::from_text(&format!("attune-prompts 1{big}")).unwrap();
    assert_eq!(m.cart.len(), MAX_CART);
}

#[test]
fn memory_stays_bounded_and_page_texts_are_cut() {
    let mut p = page(DWELL, Memory::default(), T0, "/");
    for k in 0..300 {
        p.signal(view(&format!("I{k}"), "c"), T0 + k as f64);
        p.signal(Signal::Cart(format!("I{k}")), T0 + k as f64);
    }
    let m = p.memory();
    assert_eq!(
        (m.views.len(), m.cart.len(), m.seen.len()),
        (MAX_VIEWED, MAX_CART, MAX_SEEN)
    );
    assert_eq!(m.views.last().unwrap().item, "I299");
    let long = "é".repeat(1000);
    p.signal(view(&long, &long), T0 + 400.0);
    let s = p.memory().seen.last().unwrap();
    assert_eq!(
        (s.0.chars().count(), s.1.chars().count()),
        (MAX_NAME, MAX_NAME)
    );
    // Code points, not UTF-16 units: an emoji is one character, and never cut in half.
    p.signal(view(&"😀".repeat(300), ""), T0 + 401.0);
    assert_eq!(p.memory().seen.last().unwrap().0, "😀".repeat(200));
}

#[test]
fn the_page_can_state_the_basket_and_empty_ids_are_ignored() {
    let rule = r#"{"id":"idle","when":"cart_idle","minutes":1,"show":"help","title":"t"}"#;
    let mut p = page(rule, Memory::default(), T0, "/cart");
    p.signal(Signal::Cart("A".into()), T0);
    p.signal(Signal::Basket(vec![]), T0);
    assert_eq!(
        p.tick(T0 + 5.0 * MIN),
        None,
        "the page says the cart is empty"
    );
    let basket = Signal::Basket(vec!["B".into(), "C".into()]);
    assert_eq!(
        signal_id(&mut p, basket, T0 + 5.0 * MIN).as_deref(),
        Some("idle"),
        "idle since T0"
    );
    assert_eq!(p.memory().cart, ["B", "C"]);
    let mut p = page(DWELL, Memory::default(), T0, "/p");
    assert_eq!(p.signal(view(" ", "c"), T0), None);
    p.signal(Signal::Cart(String::new()), T0);
    assert!(p.memory().views.is_empty() && p.memory().cart.is_empty());
    assert_eq!(p.next_tick(T0), None);
}

#[test]
fn forgetting_clears_the_memory() {
    let mut p = page(DWELL, Memory::default(), T0, "/");
    p.signal(view("A", "c"), T0);
    p.signal(Signal::Cart("A".into()), T0);
    p.forget();
    let m = p.memory();
    assert!(m.views.is_empty() && m.cart.is_empty() && m.seen.is_empty() && m.rules.is_empty());
}

#[test]
fn a_new_config_keeps_the_memory() {
    let mut p = page(DWELL, Memory::default(), T0, "/");
    p.signal(view("A", "c"), T0);
    assert!(p.tick(T0 + 45.0 * S).is_some());
    p.set_config(config(
        r#"{"id":"none","when":"no_results","show":"help","title":"a"}"#,
    ));
    assert_eq!(p.open(), None);
    assert_eq!(p.memory().views.len(), 1);
    assert_eq!(
        p.signal(Signal::Search(0.0), T0 + 46.0 * S),
        None,
        "still one per page view"
    );
}

#[test]
fn a_memory_stored_by_the_earlier_engines_reads_unchanged() {
    // Written by the first Rust engine (Memory::to_text) and by js/prompts-engine.js after
    // it; both kept it in localStorage under attune:prompts.
    let stored = "attune-prompts 1\np\t3\t1732590001000\t1\t1\nr\tgift-help\t1732590001000\t1\n\
                  r\texit\t1732500000000\t0\nv\t85123A\t2\t3\nc\t22457\ns\t85123A\tHearts";
    let m = Memory::from_text(stored).unwrap();
    assert_eq!(
        m,
        Memory {
            session: 3,
            last_active: 1_732_590_001_000.0,
            shown: 1,
            returning: true,
            rules: vec![
                RuleMemory {
                    id: "gift-help".into(),
                    last_shown: 1_732_590_001_000.0,
                    never: true
                },
                RuleMemory {
                    id: "exit".into(),
                    last_shown: 1_732_500_000_000.0,
                    never: false
                },
            ],
            views: vec![Views {
                item: "85123A".into(),
                sessions: 2,
                last_session: 3
            }],
            cart: vec!["22457".into()],
            seen: vec![("85123A".into(), "Hearts".into())],
        }
    );
    assert_eq!(m.to_text(), stored, "and writes it back byte for byte");
    // "Don't show this again" from then still holds.
    let rule =
        r#"{"id":"gift-help","when":"no_results","show":"help","title":"a","cooldownHours":0}"#;
    let later = T0 + 9.0 * 3_600_000.0;
    let mut p = page(rule, m, later, "/");
    assert_eq!(p.signal(Signal::Search(0.0), later), None);
}

#[test]
fn unknown_counts_and_odd_signals_change_nothing() {
    let mut p = page(
        r#"{"id":"none","when":"no_results","show":"help","title":"a"}"#,
        Memory::default(),
        T0,
        "/",
    );
    assert_eq!(
        p.signal(Signal::Search(f64::NAN), T0),
        None,
        "an unknown count is not \"no results\""
    );
    assert_eq!(p.signal(Signal::Search(-1.0), T0), None);
    assert_eq!(p.signal(Signal::Basket(Vec::new()), T0), None);
    assert_eq!(p.signal(view("", ""), T0), None);
    assert_eq!(p.signal(Signal::Activity, T0), None);
    assert_eq!(
        signal_id(&mut p, Signal::Search(0.5), T0).as_deref(),
        Some("none"),
        "a fraction rounds down"
    );
}
