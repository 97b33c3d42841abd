//! The prompts module's DOM code in real headless Chromium (wasm-bindgen-test): the prompt
//! it renders (parts, ids, ARIA, safe links, survey, comparison), Escape and focus, the
//! events a shop listens to, and storage faults (localStorage that throws, a corrupt or
//! foreign stored value, a memory stored by the JS module before). The rules themselves
//! are tested natively in attune-core (simulated timelines).
//!
//! Run: wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver crates/attune-prompts-web

#![cfg(target_arch = "wasm32")]

use attune_prompts_web::Prompts;
use js_sys::Function;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const T0: f64 = 1_732_590_000_000.0;

/// Runs a function body in the page and returns its value.
fn js(body: &str) -> JsValue {
    let f: Function = Function::new_no_args(body);
    f.call0(&JsValue::NULL).expect(body)
}

fn text(body: &str) -> String {
    js(body)
        .as_string()
        .unwrap_or_else(|| panic!("not a string: {body}"))
}

/// A clean page: no stored memory, no prompt host, events recorded in `window.__events`.
fn fresh(html: &str) {
    js(&[
        "localStorage.clear(); document.querySelectorAll('attune-prompt').forEach(e => e.remove());",
        "let f = document.getElementById('fixture'); if (!f) { f = document.createElement('div'); f.id = 'fixture'; document.body.append(f); }",
        "f.innerHTML = ", &js_string(html), ";",
        "window.__events = []; if (!window.__listening) { window.__listening = true;",
        " for (const n of ['attune:prompt', 'attune:survey']) addEventListener(n, e => window.__events.push([n, e.detail])); }",
    ]
    .concat());
}

fn js_string(s: &str) -> String {
    js(&[
        "return JSON.stringify(",
        &serde_json::to_string(s).unwrap(),
        ")",
    ]
    .concat())
    .as_string()
    .unwrap()
}

fn events() -> String {
    text("return JSON.stringify(window.__events)")
}

fn search(p: &Prompts, results: u32, at: f64) {
    p.signal(
        js(&[
            "return {type: 'search', results: ",
            &results.to_string(),
            "}",
        ]
        .concat()),
        at,
    );
}

const HELP: &str = r#"{"rules": [{"id": "none", "when": "no_results", "show": "help",
  "title": "  Can we help?  ", "text": "Try fewer words.",
  "link": {"text": "Contact us", "href": "/contact"}}]}"#;

fn root(q: &str) -> String {
    [
        "return document.querySelector('attune-prompt').shadowRoot",
        q,
    ]
    .concat()
}

#[wasm_bindgen_test]
fn a_help_prompt_is_built_from_nodes_with_its_parts_and_aria() {
    fresh("<main>shop</main>");
    let p = Prompts::new();
    p.start(JsValue::from_str(HELP), T0, false);
    assert_eq!(
        text(&root(
            ".querySelector('[aria-live=polite]').childElementCount + ''"
        )),
        "0"
    );
    search(&p, 3, T0);
    assert_eq!(
        text(&root(".querySelectorAll('section').length + ''")),
        "0",
        "results: nothing"
    );
    search(&p, 0, T0 + 1000.0);
    let section = root(".querySelector('section')");
    assert_eq!(
        text(&[section.as_str(), ".getAttribute('part')"].concat()),
        "prompt help"
    );
    assert_eq!(
        text(&[section.as_str(), ".getAttribute('role')"].concat()),
        "dialog"
    );
    assert_eq!(
        text(&[section.as_str(), ".getAttribute('aria-modal')"].concat()),
        "false"
    );
    assert_eq!(
        text(&[section.as_str(), ".getAttribute('aria-labelledby')"].concat()),
        "attune-t"
    );
    assert_eq!(
        text(&[section.as_str(), ".getAttribute('aria-describedby')"].concat()),
        "attune-d"
    );
    assert_eq!(
        text(&root(".getElementById('attune-t').textContent")),
        "Can we help?"
    );
    assert_eq!(
        text(&root(".getElementById('attune-d').textContent")),
        "Try fewer words."
    );
    assert_eq!(
        text(&root(".querySelector('[part=link]').href")),
        text("return new URL('/contact', document.baseURI).href")
    );
    assert_eq!(
        text(&root(
            ".querySelector('[part=close]').getAttribute('aria-label')"
        )),
        "Close"
    );
    assert_eq!(
        text(&root(".querySelector('[part=never]').textContent")),
        "Don't show this again"
    );
    assert_eq!(text(&root(".querySelector('[part=close]').type")), "button");
    // The stylesheet is adopted (constructable), not an inline <style>.
    assert_eq!(text(&root(".adoptedStyleSheets.length + ' ' + !!document.querySelector('attune-prompt').shadowRoot.querySelector('style')")), "1 false");
    assert_eq!(
        events(),
        r#"[["attune:prompt",{"rule":"none","kind":"help","action":"show"}]]"#
    );
    // The shop's own click on the link is an event too (the browser follows the link).
    js(&root(
        ".querySelector('[part=link]').addEventListener('click', e => e.preventDefault())",
    ));
    js(&root(".querySelector('[part=link]').click()"));
    assert!(
        events().contains(r#"{"rule":"none","kind":"help","action":"link","href":"#),
        "{}",
        events()
    );
    drop(p);
    assert_eq!(
        text("return document.querySelectorAll('attune-prompt').length + ''"),
        "0",
        "freed: the host leaves"
    );
}

#[wasm_bindgen_test]
fn hostile_texts_stay_text_and_unsafe_links_are_not_links() {
    fresh("");
    let p = Prompts::new();
    let cfg = r#"{"labels": {"close": "<b>x</b>"}, "rules": [{"id": "x", "when": "no_results", "show": "reassure",
      "title": "<img src=x onerror=alert(1)>", "facts": ["<script>alert(2)</script>", "ok"],
      "link": {"text": "Go", "href": "javascript:alert(3)"}}]}"#;
    p.start(JsValue::from_str(cfg), T0, false);
    search(&p, 0, T0);
    assert_eq!(
        text(&root(".getElementById('attune-t').textContent")),
        "<img src=x onerror=alert(1)>"
    );
    assert_eq!(
        text(&root(".querySelectorAll('img, script, b').length + ''")),
        "0"
    );
    assert_eq!(
        text(&root(".querySelectorAll('[part=facts] li').length + ''")),
        "2"
    );
    assert_eq!(
        text(&root(".querySelectorAll('a').length + ''")),
        "0",
        "javascript: is no link"
    );
    assert!(text(&root(".querySelector('section').textContent")).contains("Go"));
    assert_eq!(
        text(&root(
            ".querySelector('[part=close]').getAttribute('aria-label')"
        )),
        "<b>x</b>"
    );
}

#[wasm_bindgen_test]
fn escape_closes_and_gives_focus_back() {
    fresh("<button id=before>before</button>");
    let p = Prompts::new();
    p.start(JsValue::from_str(HELP), T0, false);
    js("document.getElementById('before').focus()");
    search(&p, 0, T0);
    js(&root(".querySelector('[part=close]').focus()"));
    assert_eq!(
        text("return document.activeElement.localName"),
        "attune-prompt"
    );
    // A page handler that takes Escape first wins.
    js("const f = e => e.preventDefault(); document.addEventListener('keydown', f, true); document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true, cancelable: true})); document.removeEventListener('keydown', f, true)");
    assert_eq!(text(&root(".querySelectorAll('section').length + ''")), "1");
    js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true, cancelable: true}))");
    assert_eq!(text(&root(".querySelectorAll('section').length + ''")), "0");
    assert_eq!(text("return document.activeElement.id"), "before");
    assert!(
        events().ends_with(r#"["attune:prompt",{"rule":"none","kind":"help","action":"close"}]]"#),
        "{}",
        events()
    );
    // One per page view: the same search again shows nothing.
    search(&p, 0, T0 + 5000.0);
    assert_eq!(text(&root(".querySelectorAll('section').length + ''")), "0");
}

#[wasm_bindgen_test]
fn a_survey_answer_is_an_event_and_stays_in_the_browser() {
    fresh("");
    let p = Prompts::new();
    let cfg = r#"{"labels": {"thanks": "Merci"}, "rules": [{"id": "exit", "when": "no_results", "show": "survey",
      "choices": ["Le prix", "La livraison", "Plus d'infos", "Je regarde", "Autre"]}]}"#;
    p.start(JsValue::from_str(cfg), T0, true);
    search(&p, 0, T0);
    assert_eq!(
        text(&root(".getElementById('attune-t').textContent")),
        "What stopped you today?"
    );
    assert_eq!(
        text(&root(".querySelectorAll('[part=choice]').length + ' ' + [...document.querySelector('attune-prompt').shadowRoot.querySelectorAll('[part=choice]')].map(b => b.dataset.v + '=' + b.textContent).join()")),
        "5 price=Le prix,shipping=La livraison,information=Plus d'infos,browsing=Je regarde,other=Autre"
    );
    js(&root(".querySelector('[data-v=shipping]').focus()"));
    js(&root(".querySelector('[data-v=shipping]').click()"));
    assert_eq!(
        text(&root(".querySelector('[part=thanks]').textContent")),
        "Merci"
    );
    assert_eq!(
        text(&root(".activeElement.getAttribute('part')")),
        "close",
        "focus stays in the prompt"
    );
    let ev = events();
    assert!(ev.contains(r#"["attune:prompt",{"rule":"exit","kind":"survey","action":"answer","answer":"shipping"}]"#), "{ev}");
    assert!(
        ev.contains(r#"["attune:survey",{"rule":"exit","kind":"survey","answer":"shipping"}]"#),
        "{ev}"
    );
    let stored = text("return localStorage.getItem('attune:prompts')");
    assert!(
        stored.starts_with(r#"{"v":1,"memory":"attune-prompts 1\np\t1\t"#),
        "{stored}"
    );
    assert!(text("return JSON.stringify(JSON.parse(localStorage.getItem('attune:prompts')).answers.map(a => a.slice(0, 2)))") == r#"[["exit","shipping"]]"#);
}

#[wasm_bindgen_test]
fn a_comparison_shows_the_items_the_page_told_about() {
    fresh("");
    let p = Prompts::new();
    let cfg = r#"{"currency": "GBP", "rules": [{"id": "cmp", "when": "compare", "items": 2, "show": "compare",
      "title": "Comparing?", "fields": ["material"]}]}"#;
    p.start(JsValue::from_str(cfg), T0, false);
    p.signal(js("return {type: 'view', item: 'A', title: 'Mug', category: 'mugs', price: 3, url: '/a', material: 'tin'}"), T0);
    p.signal(js("return {event: 'view_item', item_id: 7, item_name: 'Cup', item_category: {name: 'mugs'}, price: 'ask us', fields: {material: 'clay'}}"), T0 + 1.0);
    let rows = text(&root(".querySelector('table[part=compare]').innerText"));
    assert!(rows.contains("Mug") && rows.contains("Cup"), "{rows}");
    assert!(rows.contains("£3.00") && rows.contains("ask us"), "{rows}");
    assert!(rows.contains("tin") && rows.contains("clay"), "{rows}");
    assert_eq!(
        text(&root(
            ".querySelector('th[scope=col] a').getAttribute('href')"
        )),
        text("return new URL('/a', document.baseURI).href")
    );
}

#[wasm_bindgen_test]
fn a_throwing_local_storage_changes_nothing_visible() {
    fresh("");
    js("window.__ls = Object.getOwnPropertyDescriptor(window, 'localStorage') || Object.getOwnPropertyDescriptor(Window.prototype, 'localStorage');
        Object.defineProperty(window, 'localStorage', {configurable: true, get() { throw new DOMException('denied', 'SecurityError'); }})");
    let p = Prompts::new();
    p.start(JsValue::from_str(HELP), T0, true);
    search(&p, 0, T0);
    p.forget();
    let shown = text(&root(".querySelectorAll('section').length + ''"));
    js("delete window.localStorage; if (!('localStorage' in window)) Object.defineProperty(window, 'localStorage', window.__ls)");
    assert_eq!(shown, "1");
    // A full storage (setItem throws) too.
    fresh("");
    js("window.__set = Storage.prototype.setItem; Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); }");
    let q = Prompts::new();
    q.start(JsValue::from_str(HELP), T0, true);
    search(&q, 0, T0);
    js("Storage.prototype.setItem = window.__set");
    assert_eq!(text(&root(".querySelectorAll('section').length + ''")), "1");
    assert!(js("return localStorage.getItem('attune:prompts')").is_null());
}

#[wasm_bindgen_test]
fn a_corrupt_or_foreign_memory_is_ignored_and_replaced() {
    for bad in [
        "{\"v\":1,\"memory\":\"attune-prompts 1\\nr\\tnone",
        "not json",
        "[1,2]",
        "{\"memory\": 3, \"items\": {}}",
    ] {
        fresh("");
        js(&[
            "localStorage.setItem('attune:prompts', ",
            &js_string(bad),
            ")",
        ]
        .concat());
        let p = Prompts::new();
        p.start(JsValue::from_str(HELP), T0, true);
        search(&p, 0, T0);
        assert_eq!(
            text(&root(".querySelectorAll('section').length + ''")),
            "1",
            "{bad}"
        );
        let stored = text("return JSON.parse(localStorage.getItem('attune:prompts')).memory");
        assert!(
            stored.starts_with("attune-prompts 1\np\t1\t"),
            "{bad}: {stored}"
        );
    }
}

#[wasm_bindgen_test]
fn a_memory_stored_by_the_js_module_still_holds() {
    fresh("");
    // js/attune-prompts.js stored this: the shopper said "don't show again" to `none`.
    let old = r#"{"v":1,"memory":"attune-prompts 1\np\t3\t1732590001000\t1\t0\nr\tnone\t1732590001000\t1","items":[],"answers":[]}"#;
    js(&[
        "localStorage.setItem('attune:prompts', ",
        &js_string(old),
        ")",
    ]
    .concat());
    let p = Prompts::new();
    p.start(JsValue::from_str(HELP), T0 + 86_400_000.0, false);
    search(&p, 0, T0 + 86_400_000.0);
    assert_eq!(text(&root(".querySelectorAll('section').length + ''")), "0");
    assert_eq!(
        text("return localStorage.getItem('attune:prompts')"),
        old,
        "store: false writes nothing"
    );
    p.forget();
    assert!(
        js("return localStorage.getItem('attune:prompts')").is_null(),
        "forget erases it"
    );
}

#[wasm_bindgen_test]
fn the_page_script_config_and_bad_configs() {
    fresh(
        r#"<script type="application/json" data-attune-prompts>{"rules": [{"id": "s", "when": "no_results", "show": "help", "title": "From the page", "secnds": 1}, {"id": "t", "when": "no_results", "show": "help", "title": "From the page"}]}</script>"#,
    );
    js("window.__warn = console.warn; window.__warnings = []; console.warn = (m) => window.__warnings.push(m)");
    let p = Prompts::new();
    p.start(JsValue::UNDEFINED, T0, false);
    search(&p, 0, T0);
    let bad = Prompts::new();
    bad.start(JsValue::from_str("{\"rules\": [}"), T0, false);
    let obj = Prompts::new();
    obj.start(js("return {rules: 'x', onShow() {}}"), T0, false);
    js("console.warn = window.__warn");
    assert_eq!(
        text(&root(".getElementById('attune-t').textContent")),
        "From the page"
    );
    let w = text("return window.__warnings.join('\\n')");
    assert!(
        w.contains("attune: help prompts: rules[0].secnds: unknown field; the rule is ignored"),
        "{w}"
    );
    assert!(
        w.contains("attune: help prompts: not valid JSON (Unexpected token"),
        "{w}"
    );
    assert!(
        w.contains("attune: help prompts: rules: expected an array of rules"),
        "{w}"
    );
}
