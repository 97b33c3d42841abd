//! What placements say, in the page's language: headings, the honest reasons under cards and
//! the buttons. Label sets ship for English, German, French, Japanese and Arabic; the page's
//! config (`"lang"`, `"labels"`) picks one and overrides any label (docs/integration.md,
//! "Languages"). Reasons are templates: `{item}` is the item that explains the suggestion,
//! `{query}` the shopper's last search, so that each language keeps its own word order.

use wasm_bindgen::JsValue;

use attune_dom::get;

/// One language's labels, indexed by [`Key`].
pub struct Set {
    pub lang: &'static str,
    labels: [&'static str; KEYS],
}

/// Every label, by the name the config's `labels` object uses.
#[derive(Clone, Copy)]
pub enum Key {
    Similar,
    BoughtTogether,
    ForYou,
    Recent,
    Cart,
    Popular,
    YourData,
    NotInterested,
    NotInterestedIn,
    BoughtWith,
    Viewed,
    Added,
    Bought,
    Searched,
    PopularNow,
    YouViewed,
    Featured,
    Previous,
    Next,
}

const KEYS: usize = 19;

/// The config's names for the keys, in [`Key`] order.
const NAMES: [&str; KEYS] = [
    "similar",
    "bought-together",
    "for-you",
    "recent",
    "cart",
    "popular",
    "yourData",
    "notInterested",
    "notInterestedIn",
    "boughtWith",
    "viewed",
    "added",
    "bought",
    "searched",
    "popularNow",
    "youViewed",
    "featured",
    "previous",
    "next",
];

pub const SETS: [Set; 5] = [
    Set {
        lang: "en",
        labels: [
            "Similar items",
            "Often bought together",
            "Picked for you",
            "Recently viewed",
            "Goes well with your basket",
            "Popular now",
            "Your data",
            "Not interested",
            "Not interested in {item}",
            "Often bought with {item}",
            "Because you viewed {item}",
            "Because you added {item} to your cart",
            "Because you bought {item}",
            "Because you searched for “{query}”",
            "Popular now",
            "You viewed this",
            "Featured by the shop",
            "Previous items",
            "Next items",
        ],
    },
    Set {
        lang: "de",
        labels: [
            "Ähnliche Artikel",
            "Wird oft zusammen gekauft",
            "Für Sie ausgewählt",
            "Zuletzt angesehen",
            "Passt zu Ihrem Warenkorb",
            "Gerade beliebt",
            "Ihre Daten",
            "Kein Interesse",
            "Kein Interesse an {item}",
            "Oft zusammen gekauft mit {item}",
            "Weil Sie {item} angesehen haben",
            "Weil Sie {item} in den Warenkorb gelegt haben",
            "Weil Sie {item} gekauft haben",
            "Weil Sie nach „{query}“ gesucht haben",
            "Gerade beliebt",
            "Von Ihnen angesehen",
            "Vom Shop empfohlen",
            "Vorherige Artikel",
            "Nächste Artikel",
        ],
    },
    Set {
        lang: "fr",
        labels: [
            "Articles similaires",
            "Souvent achetés ensemble",
            "Sélectionnés pour vous",
            "Vus récemment",
            "Va bien avec votre panier",
            "Populaires en ce moment",
            "Vos données",
            "Pas intéressé",
            "Pas intéressé par {item}",
            "Souvent acheté avec {item}",
            "Parce que vous avez consulté {item}",
            "Parce que vous avez ajouté {item} à votre panier",
            "Parce que vous avez acheté {item}",
            "Parce que vous avez cherché « {query} »",
            "Populaire en ce moment",
            "Vous avez consulté cet article",
            "Mis en avant par la boutique",
            "Articles précédents",
            "Articles suivants",
        ],
    },
    Set {
        lang: "ja",
        labels: [
            "似ている商品",
            "よく一緒に購入されている商品",
            "あなたへのおすすめ",
            "最近チェックした商品",
            "カートの商品と相性の良い商品",
            "人気の商品",
            "あなたのデータ",
            "興味なし",
            "{item}に興味なし",
            "{item}と一緒によく購入されています",
            "{item}をご覧になったため",
            "{item}をカートに追加されたため",
            "{item}をご購入いただいたため",
            "「{query}」を検索されたため",
            "人気の商品",
            "ご覧になった商品",
            "ショップのおすすめ",
            "前の商品",
            "次の商品",
        ],
    },
    Set {
        lang: "ar",
        labels: [
            "منتجات مشابهة",
            "غالبًا ما تُشترى معًا",
            "مختارة لك",
            "شوهدت مؤخرًا",
            "تناسب سلتك",
            "الأكثر رواجًا الآن",
            "بياناتك",
            "غير مهتم",
            "غير مهتم بـ {item}",
            "غالبًا ما يُشترى مع {item}",
            "لأنك شاهدت {item}",
            "لأنك أضفت {item} إلى سلتك",
            "لأنك اشتريت {item}",
            "لأنك بحثت عن «{query}»",
            "رائج الآن",
            "شاهدت هذا المنتج",
            "مميز من المتجر",
            "المنتجات السابقة",
            "المنتجات التالية",
        ],
    },
];

/// The set for a language tag (`de`, `de-AT`, `ja-JP`…): its primary subtag, else English.
pub fn set_for(tag: &str) -> &'static Set {
    let primary = tag.split(['-', '_']).next().unwrap_or("");
    SETS.iter()
        .find(|s| s.lang.eq_ignore_ascii_case(primary))
        .unwrap_or(&SETS[0])
}

/// The config's name of a key (`labels.similar`, `labels.boughtWith`…).
pub fn name(k: Key) -> &'static str {
    NAMES[k as usize]
}

/// The heading key of a placement name (attune-core's placements, in their order).
pub fn heading(placement: &str) -> Option<Key> {
    use attune_core::placement::Placement::*;
    Some(match attune_core::placement::Placement::parse(placement)? {
        Similar => Key::Similar,
        BoughtTogether => Key::BoughtTogether,
        ForYou => Key::ForYou,
        Recent => Key::Recent,
        Cart => Key::Cart,
        Popular => Key::Popular,
    })
}

/// A label: the config's `labels[name]` when it is a non-empty string, else the set's.
pub fn label(set: &Set, overrides: &JsValue, k: Key) -> String {
    if overrides.is_object() {
        if let Some(s) = get(overrides, name(k)).as_string() {
            if !s.trim().is_empty() {
                return s;
            }
        }
    }
    set.labels[k as usize].into()
}

/// A template filled in: `{item}` and `{query}` replaced (only once each, so that a title
/// holding `{query}` stays as it is).
pub fn fill(template: &str, item: &str, query: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    let (mut item_done, mut query_done) = (false, false);
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if !item_done && tail.starts_with("{item}") {
            out.push_str(item);
            rest = &tail[6..];
            item_done = true;
        } else if !query_done && tail.starts_with("{query}") {
            out.push_str(query);
            rest = &tail[7..];
            query_done = true;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_has_every_label_and_its_placeholders() {
        for s in &SETS {
            for (i, l) in s.labels.iter().enumerate() {
                assert!(!l.trim().is_empty(), "{} {}", s.lang, NAMES[i]);
                let wants_item = matches!(i, 8..=12);
                assert_eq!(
                    l.contains("{item}"),
                    wants_item,
                    "{} {}: {l}",
                    s.lang,
                    NAMES[i]
                );
                assert_eq!(
                    l.contains("{query}"),
                    i == 13,
                    "{} {}: {l}",
                    s.lang,
                    NAMES[i]
                );
            }
        }
    }

    #[test]
    fn language_tags_pick_their_primary_subtag() {
        assert_eq!(set_for("de-AT").lang, "de");
        assert_eq!(set_for("JA").lang, "ja");
        assert_eq!(set_for("ar_EG").lang, "ar");
        assert_eq!(set_for("pt-BR").lang, "en");
        assert_eq!(set_for("").lang, "en");
    }

    #[test]
    fn templates_fill_once_and_keep_other_braces() {
        assert_eq!(
            fill("Because you viewed {item}", "Mug {query}", "x"),
            "Because you viewed Mug {query}"
        );
        assert_eq!(fill("「{query}」を検索", "", "鞄"), "「鞄」を検索");
        assert_eq!(fill("{a} {item}", "b", ""), "{a} b");
        assert_eq!(heading("cart").map(name), Some("cart"));
        assert!(heading("nope").is_none());
    }
}
