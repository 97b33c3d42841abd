// Types for the Attune loader's API (`window.attune`, and the module's default export).
// docs/integration.md, section 7, is the reference; tests/types.test.mjs compiles an example
// against this file and checks that its members are exactly the ones the loader defines.

export type AttuneEvent =
  | { type: "view" | "cart" | "add_to_cart" | "remove_from_cart" | "purchase" | "not_interested"; item: string | number }
  | { type: "search"; query?: string; search_term?: string; results?: number }
  | { type: "variant"; option?: string; value?: string };

export type Placement = "similar" | "bought-together" | "for-you" | "recent" | "cart" | "popular";

export interface RecommendOptions {
  /** Which placement's list (default "for-you"). */
  placement?: Placement;
  /** The current item (default: the page's item). */
  item?: string | number;
  /** The basket (ids; default: the page's basket). */
  items?: Array<string | number> | string;
  /** How many (default: the tag's data-k, else 10). */
  k?: number;
}

export interface HistoryOptions {
  /** Purchases, oldest first: the `attune recommend` contract for one line. */
  history: Array<string | number> | string;
  k?: number;
}

export interface AttuneContext {
  page: string;
  item: string | null;
  cart: string[];
  sessionCount: number;
  sessionStart: number;
  sessionMs: number;
  /** Where each consent source stands and the outcome. */
  consent: Record<string, unknown>;
  /** Whether the profile is kept in localStorage (else memory only). */
  stored: boolean;
  paused: boolean;
}

export interface AttuneExport {
  exported: string;
  storage: string;
  retentionDays: number;
  paused: boolean;
  session: { count: number; start: number; last: number };
  events: Array<Record<string, unknown>>;
  inferred: { priceBand: number[] | null; basket: string[] };
}

/** The help-prompt configuration (docs/prompts.md). Unknown fields are reported, not fatal. */
export type PromptConfig = Record<string, unknown>;

export interface Attune {
  /** true once recommendations are live, false if Attune turned itself off. Never rejects. */
  readonly ready: Promise<boolean>;
  /** Records what the shopper did; never throws (a bad event is one warning). */
  track(event: AttuneEvent): void;
  recommend(options?: RecommendOptions): Promise<string[]>;
  recommend(options: HistoryOptions): Promise<string[]>;
  context(): AttuneContext;
  /** The page's own consent answer (for example from its banner). */
  consent(granted: boolean): void;
  /** Pauses personalization (or resumes it with false). */
  pause(on?: boolean): void;
  /** The shopper's data, as "Download my data" saves it. */
  export(): AttuneExport;
  /** Erases the profile everywhere and re-renders. */
  forget(): void;
  erase(): void;
  prompts(config: PromptConfig): void;
}

declare global {
  interface Window {
    /** Before the loader runs, a queue: `(window.attune = window.attune || { q: [] }).q.push(event)`. */
    attune: Attune | { q: AttuneEvent[] };
  }
}

declare const attune: Attune;
export default attune;
