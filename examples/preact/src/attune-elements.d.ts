// JSX types for Attune's two custom elements (docs/reference.md lists their attributes).
import type { HTMLAttributes } from "preact";
import type { Placement } from "attune-web";

declare module "preact" {
  namespace JSX {
    interface IntrinsicElements {
      "attune-recs": HTMLAttributes<HTMLElement> & {
        placement: Placement;
        item?: string;
        items?: string;
        k?: number;
        heading?: string;
        "min-score"?: number;
        fallback?: Placement | "none";
      };
      "attune-privacy": HTMLAttributes<HTMLElement> & { heading?: string };
    }
  }
}
