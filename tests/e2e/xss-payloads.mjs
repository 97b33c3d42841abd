//! The XSS corpus for tests/e2e/xss.test.mjs: hostile strings a catalog (or an order export)
//! could carry into the widget as a title, a product URL, an image URL or an item id. Each
//! payload that runs script sets `window.__xss` (or `top.__xss`); payloads that would load
//! something point at CANARY, a loopback server the test watches, so markup injection shows
//! up as a request even when the script part is inert. Families: script tags, event-handler
//! attributes, javascript:/data:/vbscript: URLs, SVG and MathML, encoded forms, broken and
//! nested markup, template-injection strings, and attribute breakouts of all of the above.

const RUN = "window.__xss=1";

const BASE = [
  // script tags
  `<script>${RUN}</script>`,
  `<SCRIPT>${RUN}</SCRIPT>`,
  `<script src="CANARY/s.js"></script>`,
  `<script/xss src="CANARY/s2.js"></script>`,
  `<script type="module">${RUN}</script>`,
  `<scr<script>ipt>${RUN}</scr</script>ipt>`,
  `</title><script>${RUN}</script>`,
  `</span><script>${RUN}</script>`,
  `</template><script>${RUN}</script>`,
  `<script>top.__xss=1//`,
  `<<script>script>${RUN}<</script>/script>`,
  // event handlers
  `<img src=x onerror="${RUN}">`,
  `<img src=x onerror=${RUN}>`,
  `<IMG SRC=x OnErRoR=${RUN}>`,
  `<img src="CANARY/i.png" onload="${RUN}">`,
  `<svg onload="${RUN}">`,
  `<svg/onload=${RUN}>`,
  `<body onload="${RUN}">`,
  `<body onpageshow="${RUN}">`,
  `<details open ontoggle="${RUN}">`,
  `<video><source onerror="${RUN}"></video>`,
  `<audio src=x onerror="${RUN}">`,
  `<input autofocus onfocus="${RUN}">`,
  `<select autofocus onfocus="${RUN}">`,
  `<textarea autofocus onfocus="${RUN}">`,
  `<iframe onload="${RUN}"></iframe>`,
  `<marquee onstart="${RUN}">x</marquee>`,
  `<div onmouseover="${RUN}" style="position:fixed;inset:0">x</div>`,
  `<a href="#" onclick="${RUN}">click</a>`,
  `<style onload="${RUN}"></style>`,
  `<object data="CANARY/o" onerror="${RUN}"></object>`,
  `<img src=1 onerror=eval(atob('d2luZG93Ll9feHNzPTE='))>`,
  `<img src=x onerror=window['__x'+'ss']=1>`,
  `<img src=x:alert(1) onerror=${RUN}//`,
  `<image src=x onerror="${RUN}">`,
  `<form><button formaction="javascript:${RUN}">x</button></form>`,
  `<isindex action="javascript:${RUN}" type=image>`,
  `<x contenteditable onfocus="${RUN}" autofocus>`,
  `<img srcset="CANARY/srcset.png 1x" onerror="${RUN}">`,
  `<link rel=stylesheet href="CANARY/l.css">`,
  `<link rel=prefetch href="CANARY/prefetch">`,
  `<meta http-equiv="refresh" content="0;url=CANARY/meta">`,
  `<base href="CANARY/">`,
  `<embed src="CANARY/e.swf">`,
  `<iframe src="CANARY/frame"></iframe>`,
  `<iframe srcdoc="<script>top.__xss=1</script>"></iframe>`,
  `<div style="background:url(CANARY/bg.png)">x</div>`,
  `<style>@import "CANARY/imp.css";</style>`,
  `<a ping="CANARY/ping" href="#">x</a>`,
  // javascript:, data:, vbscript: and other schemes (as URLs and inside markup)
  `javascript:${RUN}`,
  `JaVaScRiPt:${RUN}`,
  `java\tscript:${RUN}`,
  `java\nscript:${RUN}`,
  ` javascript:${RUN}`,
  `\u0001javascript:${RUN}`,
  `javascript&colon;${RUN}`,
  `&#106;avascript:${RUN}`,
  `&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:${RUN}`,
  `javascript://%0a${RUN}`,
  `javascript:/*--></title></style></textarea></script><svg/onload='+/"/+/onmouseover=1/+/[*/[]/+${RUN}//'>`,
  `data:text/html,<script>${RUN}</script>`,
  `data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==`,
  `data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" onload="${RUN}"/>`,
  `data:application/javascript,${RUN}`,
  `vbscript:msgbox(1)`,
  `blob:null/00000000-0000-0000-0000-000000000000`,
  `file:///etc/passwd`,
  `about:blank`,
  `ftp://CANARY_HOST/x`,
  `<a href="javascript:${RUN}">x</a>`,
  `<iframe src="javascript:${RUN}"></iframe>`,
  `<object data="javascript:${RUN}"></object>`,
  `<embed src="javascript:${RUN}">`,
  // SVG and MathML
  `<svg><script>${RUN}</script></svg>`,
  `<svg><script href="CANARY/svg.js"/></svg>`,
  `<svg><animate onbegin="${RUN}" attributeName=x dur=1s>`,
  `<svg><set onbegin="${RUN}" attributeName=x to=1>`,
  `<svg><a xlink:href="javascript:${RUN}"><text x=20 y=20>x</text></a></svg>`,
  `<svg><foreignObject><iframe srcdoc="<script>top.__xss=1</script>"></iframe></foreignObject></svg>`,
  `<svg><use href="data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='top.__xss=1'/></svg>#x"/></svg>`,
  `<svg><image href="CANARY/svgimg.png"/></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${RUN}">`,
  `<math><maction actiontype=statusline xlink:href="javascript:${RUN}">x</maction></math>`,
  `<svg><style><img src=x onerror="${RUN}"></style></svg>`,
  // encoded forms (must stay inert text)
  `&lt;script&gt;${RUN}&lt;/script&gt;`,
  `&#60;script&#62;${RUN}&#60;/script&#62;`,
  `%3Cscript%3E${RUN}%3C/script%3E`,
  `%253Cscript%253E${RUN}%253C/script%253E`,
  `\\u003cscript\\u003e${RUN}\\u003c/script\\u003e`,
  `\\x3cscript\\x3e${RUN}\\x3c/script\\x3e`,
  `+ADw-script+AD4-${RUN}+ADw-/script+AD4-`,
  `\u003cimg src=x onerror=${RUN}\u003e`,
  `＜script＞${RUN}＜/script＞`,
  `<img src=x onerror=&#119;&#105;&#110;&#100;&#111;&#119;.__xss=1>`,
  `<a href="&#x6A;avascript:${RUN}">x</a>`,
  // broken and nested markup
  `<img src=x onerror=${RUN}//`,
  `<img """><script>${RUN}</script>">`,
  `<!--<img src="--><img src=x onerror=${RUN}//">`,
  `<noscript><p title="</noscript><img src=x onerror=${RUN}>">`,
  `<title><img src=x onerror=${RUN}></title>`,
  `<textarea></textarea><img src=x onerror=${RUN}>`,
  `<![CDATA[<script>${RUN}</script>]]>`,
  `<style></style><img src=x onerror=${RUN}>`,
  `<template><script>${RUN}</script></template><img src=x onerror=${RUN}>`,
  `<scr\u0000ipt>${RUN}</scr\u0000ipt>`,
  `<img src=x onerror\u000c=${RUN}>`,
  `<img/src=x/onerror=${RUN}>`,
  `<img src=x onerror=${RUN} <b>`,
  `<div><p>unclosed <b>markup <i>everywhere`,
  `</attune-recs><script>${RUN}</script>`,
  `<slot name=x onclick="${RUN}">`,
  `\u202e>tpircs/<1=ssx__.wodniw>tpircs<`,
  `"'><img src=x onerror=${RUN}>`,
  // template and expression injection (no framework evaluates them, but prove it)
  `{{constructor.constructor('${RUN}')()}}`,
  `\${${RUN}}`,
  `#{${RUN}}`,
  `<%= ${RUN} %>`,
  `{{7*7}}[[7*7]]`,
  // size and odd characters
  "A".repeat(5000),
  `\u0000\u0001\u0002\u001f\u007f`,
  `\ud800 lone surrogate`,
  `emoji 🛒 and RTL \u202e text`,
];

// Attribute and context breakouts of a few payloads: the same attack after a quote, an
// apostrophe, a closing tag.
const BREAKOUTS = [`">`, `'>`, `"><span>`, `</a>`, `</li></ul>`];
const CORE = [`<img src=x onerror=${RUN}>`, `<svg onload=${RUN}>`, `<script>${RUN}</script>`];

export function payloads(canaryOrigin) {
  const host = new URL(canaryOrigin).host;
  const out = [...BASE];
  for (const b of BREAKOUTS) for (const c of CORE) out.push(b + c);
  return out.map((p) => p.replaceAll("CANARY_HOST", host).replaceAll("CANARY", canaryOrigin));
}
