//! The API catalogue of `attune audit`: which browser names it lists (and under which
//! group), which it treats as network-capable, and which element and attribute names make
//! a request. Only data lives here: the rules that use it are in `rules.rs`.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Group {
    Dom,
    Storage,
    Timers,
    Events,
    Network,
    Other,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Dom => "DOM",
            Group::Storage => "storage",
            Group::Timers => "timers",
            Group::Events => "events",
            Group::Network => "network",
            Group::Other => "other",
        }
    }
}

// The catalogue: browser APIs by name, for the listing. (name, required object, group,
// display). The network rules live in `rules.rs`, not here.

type Entry = (&'static str, Option<&'static str>, Group, &'static str);

const CATALOGUE: &[Entry] = &[
    // DOM
    ("document", None, Group::Dom, "document"),
    ("createElement", None, Group::Dom, "Document.createElement"),
    (
        "createElementNS",
        None,
        Group::Dom,
        "Document.createElementNS",
    ),
    (
        "createTextNode",
        None,
        Group::Dom,
        "Document.createTextNode",
    ),
    (
        "createDocumentFragment",
        None,
        Group::Dom,
        "Document.createDocumentFragment",
    ),
    ("appendChild", None, Group::Dom, "Node.appendChild"),
    ("insertBefore", None, Group::Dom, "Node.insertBefore"),
    ("removeChild", None, Group::Dom, "Node.removeChild"),
    (
        "replaceChildren",
        None,
        Group::Dom,
        "Element.replaceChildren",
    ),
    ("replaceWith", None, Group::Dom, "Element.replaceWith"),
    ("attachShadow", None, Group::Dom, "Element.attachShadow"),
    ("shadowRoot", None, Group::Dom, "Element.shadowRoot"),
    ("setAttribute", None, Group::Dom, "Element.setAttribute"),
    ("getAttribute", None, Group::Dom, "Element.getAttribute"),
    (
        "removeAttribute",
        None,
        Group::Dom,
        "Element.removeAttribute",
    ),
    ("hasAttribute", None, Group::Dom, "Element.hasAttribute"),
    (
        "toggleAttribute",
        None,
        Group::Dom,
        "Element.toggleAttribute",
    ),
    ("textContent", None, Group::Dom, "Node.textContent"),
    ("querySelector", None, Group::Dom, "querySelector"),
    ("querySelectorAll", None, Group::Dom, "querySelectorAll"),
    (
        "getElementById",
        None,
        Group::Dom,
        "Document.getElementById",
    ),
    ("closest", None, Group::Dom, "Element.closest"),
    ("dataset", None, Group::Dom, "HTMLElement.dataset"),
    ("ownerDocument", None, Group::Dom, "Node.ownerDocument"),
    ("baseURI", None, Group::Dom, "Node.baseURI"),
    ("isConnected", None, Group::Dom, "Node.isConnected"),
    ("customElements", None, Group::Dom, "customElements"),
    ("HTMLElement", None, Group::Dom, "HTMLElement"),
    ("adoptedStyleSheets", None, Group::Dom, "adoptedStyleSheets"),
    ("CSSStyleSheet", None, Group::Dom, "CSSStyleSheet"),
    ("replaceSync", None, Group::Dom, "CSSStyleSheet.replaceSync"),
    (
        "setProperty",
        None,
        Group::Dom,
        "CSSStyleDeclaration.setProperty",
    ),
    ("classList", None, Group::Dom, "Element.classList"),
    ("hidden", None, Group::Dom, "HTMLElement.hidden"),
    ("focus", None, Group::Dom, "HTMLElement.focus"),
    ("currentScript", None, Group::Dom, "document.currentScript"),
    (
        "observedAttributes",
        None,
        Group::Dom,
        "custom element observedAttributes",
    ),
    (
        "connectedCallback",
        None,
        Group::Dom,
        "custom element connectedCallback",
    ),
    (
        "disconnectedCallback",
        None,
        Group::Dom,
        "custom element disconnectedCallback",
    ),
    (
        "attributeChangedCallback",
        None,
        Group::Dom,
        "custom element attributeChangedCallback",
    ),
    (
        "define",
        Some("customElements"),
        Group::Dom,
        "customElements.define",
    ),
    (
        "get",
        Some("customElements"),
        Group::Dom,
        "customElements.get",
    ),
    ("style", None, Group::Dom, "HTMLElement.style"),
    ("mode", None, Group::Dom, "ShadowRootInit.mode"),
    // storage
    ("localStorage", None, Group::Storage, "window.localStorage"),
    (
        "sessionStorage",
        None,
        Group::Storage,
        "window.sessionStorage",
    ),
    ("getItem", None, Group::Storage, "Storage.getItem"),
    ("setItem", None, Group::Storage, "Storage.setItem"),
    ("removeItem", None, Group::Storage, "Storage.removeItem"),
    ("indexedDB", None, Group::Storage, "indexedDB"),
    ("caches", None, Group::Storage, "CacheStorage"),
    ("cookie", None, Group::Storage, "document.cookie (read)"),
    // timers
    ("setTimeout", None, Group::Timers, "setTimeout"),
    ("setInterval", None, Group::Timers, "setInterval"),
    ("clearTimeout", None, Group::Timers, "clearTimeout"),
    ("clearInterval", None, Group::Timers, "clearInterval"),
    (
        "requestAnimationFrame",
        None,
        Group::Timers,
        "requestAnimationFrame",
    ),
    (
        "requestIdleCallback",
        None,
        Group::Timers,
        "requestIdleCallback",
    ),
    ("queueMicrotask", None, Group::Timers, "queueMicrotask"),
    ("now", Some("Date"), Group::Timers, "Date.now"),
    ("now", Some("performance"), Group::Timers, "performance.now"),
    // events
    (
        "addEventListener",
        None,
        Group::Events,
        "EventTarget.addEventListener",
    ),
    (
        "removeEventListener",
        None,
        Group::Events,
        "EventTarget.removeEventListener",
    ),
    (
        "dispatchEvent",
        None,
        Group::Events,
        "EventTarget.dispatchEvent",
    ),
    ("CustomEvent", None, Group::Events, "CustomEvent"),
    ("MutationObserver", None, Group::Events, "MutationObserver"),
    (
        "IntersectionObserver",
        None,
        Group::Events,
        "IntersectionObserver",
    ),
    ("ResizeObserver", None, Group::Events, "ResizeObserver"),
    (
        "BroadcastChannel",
        None,
        Group::Events,
        "BroadcastChannel (same-origin tabs only)",
    ),
    // network (reachable only at the sites the rules allow)
    ("fetch", None, Group::Network, "fetch"),
    // other
    ("console", None, Group::Other, "console"),
    ("parse", Some("JSON"), Group::Other, "JSON.parse"),
    ("stringify", Some("JSON"), Group::Other, "JSON.stringify"),
    ("NumberFormat", None, Group::Other, "Intl.NumberFormat"),
    (
        "resolvedOptions",
        None,
        Group::Other,
        "Intl.NumberFormat.resolvedOptions",
    ),
    ("URL", None, Group::Other, "URL (parsing only)"),
    (
        "URLSearchParams",
        None,
        Group::Other,
        "URLSearchParams (parsing only)",
    ),
    (
        "encodeURIComponent",
        None,
        Group::Other,
        "encodeURIComponent",
    ),
    (
        "decodeURIComponent",
        None,
        Group::Other,
        "decodeURIComponent",
    ),
    ("get", Some("Reflect"), Group::Other, "Reflect.get"),
    ("set", Some("Reflect"), Group::Other, "Reflect.set"),
    ("apply", Some("Reflect"), Group::Other, "Reflect.apply"),
    ("TextEncoder", None, Group::Other, "TextEncoder"),
    ("TextDecoder", None, Group::Other, "TextDecoder"),
    ("WebAssembly", None, Group::Other, "WebAssembly"),
    (
        "FinalizationRegistry",
        None,
        Group::Other,
        "FinalizationRegistry",
    ),
    ("globalThis", None, Group::Other, "globalThis"),
    ("window", None, Group::Other, "window"),
    ("self", None, Group::Other, "self"),
    ("navigator", None, Group::Other, "navigator (read)"),
    (
        "globalPrivacyControl",
        None,
        Group::Other,
        "navigator.globalPrivacyControl",
    ),
    ("Window", None, Group::Other, "Window (instanceof)"),
    ("Response", None, Group::Other, "Response (type check)"),
    ("Request", None, Group::Other, "Request (type check)"),
    ("meta", Some("import"), Group::Other, "import.meta.url"),
];

/// The listing entry for `name`, reached on an object whose global name is `obj` (if any).
pub fn catalogue(name: &str, obj: Option<&str>) -> Option<(Group, &'static str)> {
    CATALOGUE
        .iter()
        .find(|(n, o, _, _)| *n == name && (o.is_none() || *o == obj))
        .map(|&(_, _, g, d)| (g, d))
}

/// APIs that can send data off the page whatever their arguments. Any reachable use fails.
pub const NETWORK: &[(&str, &str)] = &[
    ("XMLHttpRequest", "XMLHttpRequest sends requests"),
    ("WebSocket", "WebSocket opens a connection"),
    ("WebSocketStream", "WebSocketStream opens a connection"),
    ("EventSource", "EventSource opens a connection"),
    ("sendBeacon", "navigator.sendBeacon posts data"),
    ("fetchLater", "fetchLater sends a deferred request"),
    (
        "RTCPeerConnection",
        "WebRTC connects to peers and STUN/TURN servers",
    ),
    (
        "webkitRTCPeerConnection",
        "WebRTC connects to peers and STUN/TURN servers",
    ),
    ("RTCDataChannel", "WebRTC data channels send data"),
    ("WebTransport", "WebTransport opens a connection"),
    ("Worker", "a Worker loads and runs a script"),
    ("SharedWorker", "a SharedWorker loads and runs a script"),
    ("serviceWorker", "a service worker can make any request"),
    ("importScripts", "importScripts loads scripts"),
    ("pushManager", "push subscriptions talk to a push service"),
    (
        "registerProtocolHandler",
        "protocol handlers send URLs elsewhere",
    ),
    ("backgroundFetch", "background fetch makes requests"),
    (
        "PresentationRequest",
        "presentation requests open remote displays",
    ),
    (
        "postMessage",
        "postMessage sends data to other windows, frames or workers",
    ),
    ("audioWorklet", "worklets load scripts"),
    ("paintWorklet", "worklets load scripts"),
    ("addModule", "worklets load scripts"),
];

/// Markup and code sinks: they can create any element (and so any request) from a string.
pub const SINKS: &[&str] = &[
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "createContextualFragment",
    "setHTMLUnsafe",
    "parseHTMLUnsafe",
    "srcdoc",
    "DOMParser",
    "eval",
    "execScript",
];

/// Elements that load or submit a URL once they are in the document and given one.
/// (`createElement` makes HTML elements: `image`, `svg` or `use` made that way are inert
/// unknown elements. A `<style>` loads only what its CSS names: every string literal, in
/// the JS and in the Wasm, is checked for `url(`, `@import` and `image-set(` instead.)
pub const FETCHING_TAGS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "link",
    "form",
    "base",
    "meta",
    "portal",
    "fencedframe",
    "video",
    "audio",
    "source",
    "track",
    "input",
];

/// Attributes (and properties) that make a request or carry a URL that will be requested.
pub const URL_ATTRS: &[&str] = &[
    "srcset",
    "ping",
    "action",
    "formaction",
    "formAction",
    "srcdoc",
    "background",
    "poster",
    "codebase",
    "archive",
    "data",
    "http-equiv",
    "httpEquiv",
    "xlink:href",
    "manifest",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "imagesrcset",
    "attributionsrc",
    "attributionSrc",
];

/// Property names that reach the network when written through reflection.
pub const REFLECT_DANGER: &[&str] = &[
    "location",
    "cookie",
    "fetch",
    "sendBeacon",
    "open",
    "opener",
    "parent",
    "top",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "Image",
    "Worker",
    "postMessage",
    "innerHTML",
    "outerHTML",
    "srcdoc",
    "srcset",
    "action",
    "formAction",
    "ping",
    "eval",
    "Function",
];

/// Properties whose write makes a request, navigates or injects markup or CSS.
pub const WRITE_DANGER: &[&str] = &[
    "location",
    "src",
    "href",
    "srcset",
    "srcdoc",
    "innerHTML",
    "outerHTML",
    "action",
    "formAction",
    "ping",
    "cookie",
    "cssText",
    "poster",
    "background",
    "codebase",
    "archive",
    "lowsrc",
    "imageSrcset",
    "imagesrcset",
    "attributionSrc",
    "httpEquiv",
    "manifest",
];

/// Methods that reach the network, navigate or run code when called.
pub const CALL_DANGER: &[&str] = &[
    "fetch",
    "fetchLater",
    "open",
    "sendBeacon",
    "write",
    "writeln",
    "submit",
    "requestSubmit",
    "eval",
    "setTimeout",
    "setInterval",
    "postMessage",
    "importScripts",
    "assign",
    "navigate",
    "insertAdjacentHTML",
    "setHTMLUnsafe",
    "createContextualFragment",
    "registerProtocolHandler",
    "setAttribute",
    "setAttributeNS",
    "createElement",
    "createElementNS",
    "register",
    "addModule",
];

/// Names of the global object itself: `window.fetch` is `fetch`.
pub const GLOBAL_NAMES: &[&str] = &[
    "window",
    "self",
    "globalThis",
    "top",
    "parent",
    "frames",
    "global",
    "opener",
];

/// Properties that give a window (of this page or another) from any object:
/// `el.ownerDocument.defaultView` is the global object.
pub const WINDOW_PROPS: &[&str] = &[
    "window",
    "self",
    "globalThis",
    "top",
    "parent",
    "frames",
    "opener",
    "defaultView",
    "contentWindow",
    "view",
];

/// Properties that give a document from any node.
pub const DOCUMENT_PROPS: &[&str] = &["document", "ownerDocument", "contentDocument"];

/// Properties that give the location object (of a window or a document) from any object.
pub const LOCATION_PROPS: &[&str] = &["location"];

/// Globals whose value may flow anywhere (as an argument, into an array, returned): none of
/// them reaches the network, whatever is done with it.
pub const INERT_GLOBALS: &[&str] = &[
    "Array",
    "ArrayBuffer",
    "BigInt",
    "Blob",
    "Boolean",
    "CSSStyleSheet",
    "CustomEvent",
    "DataView",
    "Date",
    "Error",
    "Event",
    "FinalizationRegistry",
    "Float32Array",
    "Float64Array",
    "Int8Array",
    "Int16Array",
    "Int32Array",
    "Intl",
    "JSON",
    "Map",
    "Math",
    "Number",
    "Object",
    "Promise",
    "RangeError",
    "RegExp",
    "Set",
    "String",
    "Symbol",
    "SyntaxError",
    "TextDecoder",
    "TextEncoder",
    "TypeError",
    "Uint8Array",
    "Uint8ClampedArray",
    "Uint16Array",
    "Uint32Array",
    "BigInt64Array",
    "BigUint64Array",
    "URL",
    "URLSearchParams",
    "WeakMap",
    "WeakRef",
    "WeakSet",
    "WebAssembly",
    "console",
    "decodeURIComponent",
    "encodeURIComponent",
    "decodeURI",
    "encodeURI",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "undefined",
    "NaN",
    "Infinity",
    "localStorage",
    "sessionStorage",
    "customElements",
    "HTMLElement",
    "performance",
    "crypto",
    "requestAnimationFrame",
    "cancelAnimationFrame",
    "queueMicrotask",
    "clearTimeout",
    "clearInterval",
    "MutationObserver",
    "ResizeObserver",
    "IntersectionObserver",
    "matchMedia",
    "getComputedStyle",
    "structuredClone",
    "AbortController",
    "Response",
    "Request",
    "Headers",
    "DOMException",
    "Atomics",
    "SharedArrayBuffer",
    "Proxy",
];

/// Calls whose safety depends on their arguments or their object: the value itself must
/// not flow where the audit cannot follow it.
pub const GUARDED: &[&str] = &[
    "fetch",
    "open",
    "createElement",
    "createElementNS",
    "setAttribute",
    "setAttributeNS",
    "setAttributeNode",
    "write",
    "writeln",
    "submit",
    "requestSubmit",
    "eval",
    "Function",
    "setTimeout",
    "setInterval",
    "Image",
    "Audio",
    "Option",
    "Reflect",
    "location",
    "assign",
    "replace",
    "navigate",
    "importScripts",
    "insertAdjacentElement",
    "cssText",
    "setProperty",
    "replaceSync",
    "insertRule",
    "apply",
    "call",
    "bind",
    "construct",
    "defineProperty",
    "getOwnPropertyDescriptor",
    "prototype",
    "navigator",
    "document",
    "cookie",
    "style",
    "styleSheets",
    "adoptedStyleSheets",
];

/// CSS properties that load a URL when given `url(…)`, `image-set(…)` or `@import`.
pub const CSS_URL_PROPS: &[&str] = &[
    "background",
    "backgroundImage",
    "borderImage",
    "borderImageSource",
    "listStyle",
    "listStyleImage",
    "content",
    "cursor",
    "mask",
    "maskImage",
    "webkitMaskImage",
    "filter",
    "shapeOutside",
    "src",
];

/// The attributes (or properties) without which an element from FETCHING_TAGS requests
/// nothing; empty = it is dangerous by itself.
pub fn fetch_attributes(tag: &str) -> &'static [&'static str] {
    match tag {
        // An inline <script> runs its text: dangerous by itself.
        "script" => &[],
        "embed" | "track" => &["src"],
        "iframe" | "frame" => &["src", "srcdoc"],
        "object" => &["data"],
        "applet" => &["code", "archive", "codebase"],
        "link" => &["rel", "relList"],
        "form" => &["action", "formaction"],
        "base" => &["href"],
        "meta" => &["http-equiv", "httpEquiv"],
        "portal" | "fencedframe" => &["src", "config"],
        "video" | "audio" => &["src", "poster"],
        "source" => &["src", "srcset"],
        "input" => &["src", "formaction", "formAction"],
        _ => &[],
    }
}

/// A global property that reaching by a computed key is fine: storage areas and other
/// names with no network reach.
pub fn harmless_global(name: &str) -> bool {
    matches!(
        name,
        "localStorage" | "sessionStorage" | "dataLayer" | "attune" | "console" | "JSON" | "Intl"
    )
}

pub fn is_danger_attr(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    URL_ATTRS.iter().any(|a| a.eq_ignore_ascii_case(&l))
        || (l.starts_with("on") && l.len() > 2 && l.chars().all(|c| c.is_ascii_lowercase()))
}

/// The always-network names: reaching one by any route is a violation.
pub fn network(name: &str) -> Option<&'static str> {
    NETWORK
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, why)| why)
}

pub fn is_sink(name: &str) -> bool {
    SINKS.contains(&name)
}

pub fn css_loads(s: &str) -> Option<&'static str> {
    let l = s.to_ascii_lowercase();
    ["url(", "@import", "image-set("]
        .into_iter()
        .find(|n| l.contains(n))
}
