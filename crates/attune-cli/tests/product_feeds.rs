//! `--catalog` reads a Google Merchant Center product feed as shops publish it (issue 14):
//! TSV with a header row, or RSS 2.0 XML with the `g:` namespace. Out-of-stock items are
//! never recommended; the currency a price names is checked against the model's.

use std::path::{Path, PathBuf};

use attune_cli::assemble::hide_items;
use attune_cli::commands::{load_model, recommend_stream, run_build, BuildArgs};
use attune_cli::import::{read_catalog_in, CatalogFormat, Format, ImportOptions};
use attune_core::build::BuildSettings;
use attune_core::{Model, ModelParts};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attune-feeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn ids() -> Vec<String> {
    ["FERN-1", "TOTE-1", "MUG-1", "Linen_Napkin_Set"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn tsv_and_xml_feeds_give_the_same_catalog() {
    let mut seen = Vec::new();
    for (file, format) in [
        ("merchant-center-feed.tsv", CatalogFormat::FeedTable),
        ("merchant-center-feed.xml", CatalogFormat::FeedXml),
    ] {
        let c = read_catalog_in(&fixture(file), &ids(), 2, Some("USD")).unwrap();
        assert_eq!(c.format, format, "{file}");
        assert_eq!((c.rows, c.unknown_ids), (5, 1), "{file}");
        // The title, never the description (TSV has both; XML's Linen item uses g:title).
        assert_eq!(
            c.titles.clone().unwrap(),
            vec![
                "Botanical Fern Print",
                "Canvas Tote Bag",
                "Speckled Mug",
                "Linen Napkin Set"
            ],
            "{file}"
        );
        // FERN-1's undated sale price is used; MUG-1's sale has dates: its regular price.
        // The nested g:shipping/g:price (4.95) is not the product's.
        assert_eq!(
            c.prices.clone().unwrap(),
            vec![1400, 2000, 2500, 1200],
            "{file}"
        );
        assert_eq!(c.sale_prices, 1);
        assert_eq!(
            c.urls.clone().unwrap()[0],
            "https://shop.example.com/products/fern-print"
        );
        assert_eq!(
            c.images.clone().unwrap()[2],
            "https://cdn.example.com/mug.jpg"
        );
        // out_of_stock only: preorder and backorder can be bought.
        assert_eq!(c.out_of_stock, vec![false, true, false, false], "{file}");
        assert_eq!(c.variants, 1);
        assert_eq!(c.currency.as_deref(), Some("USD"));
        seen.push((c.titles, c.prices, c.urls, c.images, c.out_of_stock));
    }
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn a_price_in_another_currency_is_an_error() {
    let e = read_catalog_in(&fixture("merchant-center-feed.tsv"), &ids(), 2, Some("EUR"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2, column price"), "{e}");
    assert!(
        e.contains("\"16.00 USD\" is in USD, but the model's currency is EUR"),
        "{e}"
    );
    let e = read_catalog_in(&fixture("merchant-center-feed.xml"), &ids(), 2, Some("GBP"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("item 1 (g:id FERN-1), g:price"), "{e}");
    // Two currencies in one feed.
    let p = temp(
        "mixed.tsv",
        "id\ttitle\tprice\nFERN-1\tFern\t16.00 USD\nMUG-1\tMug\t25.00 CAD\n",
    );
    let e = read_catalog_in(&p, &ids(), 2, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 3") && e.contains("earlier prices in USD"),
        "{e}"
    );
    // Digits follow the currency: JPY has none.
    let p = temp("yen.tsv", "id\tprice\nFERN-1\t1500 JPY\n");
    let c = read_catalog_in(&p, &ids(), 0, Some("JPY")).unwrap();
    assert_eq!(c.prices.unwrap()[0], 1500);
}

#[test]
fn xml_entities_cdata_and_bad_xml() {
    let p = temp(
        "e.xml",
        r#"<?xml version="1.0"?>
<rss xmlns:g="http://base.google.com/ns/1.0" xmlns:x="urn:other" version="2.0"><channel>
<item><g:id>MUG-1</g:id><title>Mug &amp; Saucer &#8211; blue</title>
<x:title>not this one</x:title><g:price>3.50 USD</g:price></item>
<item><g:id>TOTE-1</g:id><g:title><![CDATA[Tote <Natural>]]></g:title><title>RSS title</title></item>
</channel></rss>"#,
    );
    let c = read_catalog_in(&p, &ids(), 2, None).unwrap();
    let t = c.titles.unwrap();
    assert_eq!(t[2], "Mug & Saucer \u{2013} blue");
    assert_eq!(t[1], "Tote <Natural>", "g:title wins over RSS's title");
    assert_eq!(c.prices.unwrap()[2], 350);
    assert!(c.out_of_stock.is_empty(), "no availability given");
    assert_eq!(c.currency.as_deref(), Some("USD"));
    let p = temp("bad.xml", "<rss><channel><item><g:id>x</g:id></item>");
    assert!(read_catalog_in(&p, &ids(), 2, None).is_err());
    let p = temp(
        "noid.xml",
        "<rss><channel><item><title>t</title></item></channel></rss>",
    );
    let e = read_catalog_in(&p, &ids(), 2, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("item 1 has no g:id"), "{e}");
}

#[test]
fn hidden_items_leave_every_candidate_list() {
    let mut p = ModelParts {
        ids: vec!["a".into(), "b".into(), "c".into()],
        offsets: vec![0, 2, 3, 4],
        targets: vec![1, 2, 0, 1],
        weights: vec![1.0, 0.5, 1.0, 1.0],
        next_offsets: vec![0, 1, 1, 1],
        next_targets: vec![1],
        next_weights: vec![1.0],
        popular: vec![1, 0, 2],
        popular_scores: vec![3.0, 2.0, 1.0],
        ..ModelParts::default()
    };
    assert_eq!(hide_items(&mut p, &[false, true, false]), 1);
    assert_eq!(p.offsets, vec![0, 1, 2, 2]);
    assert_eq!(p.targets, vec![2, 0]);
    assert_eq!(p.weights, vec![0.5, 1.0]);
    assert_eq!(
        (p.next_offsets.clone(), p.next_targets.clone()),
        (vec![0, 0, 0, 0], vec![])
    );
    assert_eq!(p.popular, vec![0, 2]);
    assert_eq!(p.popular_scores, vec![2.0, 1.0]);
    Model::from_parts(p).unwrap();
}

#[test]
fn a_model_built_with_a_feed_never_recommends_out_of_stock() {
    for feed in ["merchant-center-feed.tsv", "merchant-center-feed.xml"] {
        let out = temp(&format!("{feed}.bin"), "");
        let report = run_build(&BuildArgs {
            interactions: fixture("shopify-orders.csv"),
            out: out.clone(),
            catalog: Some(fixture(feed)),
            settings: BuildSettings::default(),
            currency: None,
            import: ImportOptions::default(),
            format: Format::Csv,
            tune: None,
        })
        .unwrap();
        assert!(report.summary(&out).contains("1 out of stock"), "{feed}");
        let m = load_model(&out).unwrap();
        assert_eq!(m.meta("currency"), Some("USD"));
        let tote = m.index_of("TOTE-1").unwrap();
        assert_eq!(m.title(tote), Some("Canvas Tote Bag"));
        assert_eq!(m.price(m.index_of("FERN-1").unwrap()), Some(1400));
        assert!(!m.popular().0.contains(&tote));
        let mut lines = Vec::new();
        let histories = "FERN-1\nMUG-1\n\nLinen_Napkin_Set MUG-1\n";
        recommend_stream(&m, 10, histories.as_bytes(), &mut lines).unwrap();
        let text = String::from_utf8(lines).unwrap();
        assert_eq!(text.lines().count(), 4);
        assert!(!text.contains("TOTE-1"), "{text}");
        assert!(text.lines().next().unwrap().contains("MUG-1"), "{text}");
    }
}
