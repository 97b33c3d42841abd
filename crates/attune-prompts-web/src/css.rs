//! The prompt's stylesheet (one constructable sheet adopted by its shadow root; a `<style>`
//! only where the browser has no `CSSStyleSheet()`). Themed from the page with the
//! `--attune-*` custom properties and `::part(…)` (docs/prompts.md). Reduced motion: the
//! entrance animation runs only under `prefers-reduced-motion: no-preference`.

pub const CSS: &str = ":host{all:initial}
[part~=prompt]{position:fixed;z-index:2147483000;inset-inline-end:1rem;bottom:1rem;box-sizing:border-box;width:min(23rem,calc(100vw - 2rem));max-height:calc(100vh - 2rem);overflow:auto;padding:1rem 1.1rem;border-radius:var(--attune-radius,.75rem);background:var(--attune-prompt-bg,#fff);color:var(--attune-prompt-fg,#1f1f1f);border:1px solid var(--attune-prompt-border,#c4c7c5);box-shadow:0 .5rem 2rem rgba(0,0,0,.18);font:400 .95rem/1.45 var(--attune-font,system-ui,sans-serif)}
@media (max-width:36rem){[part~=prompt]{inset-inline:.5rem;bottom:.5rem;width:auto}}
@media (prefers-reduced-motion:no-preference){[part~=prompt]{animation:attune-in .25s ease-out}}
@keyframes attune-in{from{opacity:0;transform:translateY(.75rem)}}
[part~=title]{margin:0 0 .5rem;margin-inline-end:2rem;font-size:1.05rem;font-weight:600;line-height:1.3}
p{margin:0 0 .6rem}ul{margin:0 0 .6rem;padding-inline-start:1.2rem}
button{font:inherit;cursor:pointer;color:inherit}
[part~=close]{position:absolute;top:.45rem;inset-inline-end:.45rem;width:2.25rem;height:2.25rem;border:0;border-radius:50%;background:none;font-size:1.4rem;line-height:1}
[part~=close]:hover{background:var(--attune-prompt-hover,#f1f3f4)}
[part~=link]{color:var(--attune-accent,#0b57d0);font-weight:600}
[part~=choices]{display:flex;flex-wrap:wrap;gap:.4rem;margin:0 0 .6rem}
[part~=choice]{padding:.35rem .75rem;border:1px solid var(--attune-accent,#0b57d0);border-radius:999px;background:none;color:var(--attune-accent,#0b57d0)}
[part~=choice]:hover{background:var(--attune-prompt-hover,#f1f3f4)}
[part~=never]{padding:0;border:0;background:none;font-size:.85rem;text-decoration:underline;color:var(--attune-muted,#5f6368)}
table{width:100%;table-layout:fixed;border-collapse:collapse;margin:0 0 .6rem;font-size:.88rem}
th,td{padding:.3rem;border-bottom:1px solid var(--attune-prompt-border,#c4c7c5);text-align:start;vertical-align:top;overflow-wrap:anywhere}
thead th{font-weight:600}
:focus-visible{outline:2px solid var(--attune-accent,#0b57d0);outline-offset:2px}";
