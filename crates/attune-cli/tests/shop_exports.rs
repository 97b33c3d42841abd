//! Shop platforms' own exports, read as they come (issue 14): a Shopify orders export and
//! a WooCommerce order export (WebToffee's plugin) are recognised by their headers, their
//! order-level columns reach every line item, and refunded, voided, cancelled and failed
//! orders are skipped and counted. Fixtures: `tests/fixtures/`, real headers, made-up rows.

use std::path::{Path, PathBuf};

use attune_cli::commands::{load_model, run_build, BuildArgs};
use attune_cli::import::{
    detect_layout, export_currency, import_interactions, parse_time, Format, ImportOptions, Layout,
};
use attune_core::build::BuildSettings;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn header(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.headers().unwrap().iter().map(String::from).collect()
}

fn usd() -> ImportOptions {
    ImportOptions {
        currency: Some("USD".into()),
        ..ImportOptions::default()
    }
}

#[test]
fn layouts_are_detected_from_the_header() {
    assert_eq!(
        detect_layout(&header("shopify-orders.csv")),
        Layout::Shopify
    );
    assert_eq!(
        detect_layout(&header("woocommerce-orders.csv")),
        Layout::WooCommerce
    );
    let retail: Vec<String> =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
            .split(',')
            .map(String::from)
            .collect();
    assert_eq!(detect_layout(&retail), Layout::Generic);
    // Half a Shopify header is not Shopify.
    let partial: Vec<String> = ["Name", "Email", "Lineitem sku", "Created at"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(detect_layout(&partial), Layout::Generic);
    assert_eq!(
        export_currency(&fixture("shopify-orders.csv")).unwrap(),
        Some("USD".into())
    );
    assert_eq!(
        export_currency(&fixture("woocommerce-orders.csv")).unwrap(),
        Some("EUR".into())
    );
}

#[test]
fn shopify_orders_carry_order_columns_and_skip_refunds() {
    let imp = import_interactions(&fixture("shopify-orders.csv"), &usd()).unwrap();
    let s = &imp.stats;
    assert_eq!(imp.columns.layout, "Shopify orders export");
    assert_eq!(imp.columns.user, "Email");
    assert_eq!(imp.columns.item, "Lineitem sku");
    assert_eq!(s.lines, 13);
    // #1003 refunded (2 lines), #1004 voided (1), #1005 cancelled (Cancelled at, 2 lines:
    // the second row has no Cancelled at of its own).
    assert_eq!(s.skipped_status, 5);
    assert_eq!(s.kept, 8);
    assert_eq!(s.kept + s.skipped(), s.lines);
    assert_eq!(s.skipped_missing_time, 0, "Created at reaches every row");
    assert_eq!(s.named_items, 1);
    assert_eq!(s.guest_lines, 2);
    assert_eq!(s.prices_other_currency, 1);
    assert_eq!(
        imp.ids,
        vec!["FERN-1", "TOTE-1", "MUG-1", "Linen_Napkin_Set"]
    );
    assert_eq!(imp.customers, 2);
    let o = &imp.interactions.orders;
    assert_eq!(o.len(), 4);
    // Rows after an order's first have no Email: carried from the first row.
    assert_eq!((o[0].customer, o[0].items.clone()), (Some(0), vec![0, 1]));
    assert_eq!(
        (o[1].customer, o[1].items.clone()),
        (Some(1), vec![0, 2, 3])
    );
    assert_eq!((o[2].customer, o[2].items.clone()), (None, vec![1, 2]));
    assert_eq!((o[3].customer, o[3].items.clone()), (Some(0), vec![2]));
    assert_eq!(o[0].ts, parse_time("2024-03-05T19:22:10Z").unwrap());
    assert_eq!(o[3].ts, parse_time("2024-03-11T15:45:00Z").unwrap());
    assert_eq!(
        imp.titles,
        vec![
            "Botanical Fern Print",
            "Canvas Tote Bag",
            "Speckled Mug",
            "Linen Napkin Set"
        ]
    );
    // The EUR line's 23.00 is not a USD price.
    assert_eq!(imp.prices, vec![1600, 2000, 2500, 1200]);
}

#[test]
fn woocommerce_orders_expand_line_items_and_skip_failed() {
    let opts = ImportOptions {
        currency: Some("EUR".into()),
        ..ImportOptions::default()
    };
    let imp = import_interactions(&fixture("woocommerce-orders.csv"), &opts).unwrap();
    let s = &imp.stats;
    assert_eq!(imp.columns.layout, "WooCommerce order export (WebToffee)");
    assert_eq!(s.lines, 11, "one line per line item");
    // 103 refunded (2 items), 104 cancelled (1), 105 failed (1).
    assert_eq!(s.skipped_status, 4);
    assert_eq!(s.kept, 7);
    assert_eq!(s.kept + s.skipped(), s.lines);
    assert_eq!(s.guest_lines, 2);
    // No SKU: WooCommerce's product id.
    assert_eq!(imp.ids, vec!["FERN-1", "TOTE-1", "MUG-1", "15"]);
    assert_eq!(imp.customers, 2);
    let o = &imp.interactions.orders;
    assert_eq!(o.len(), 3);
    assert_eq!((o[0].customer, o[0].items.clone()), (Some(0), vec![0, 1]));
    assert_eq!(
        (o[1].customer, o[1].items.clone()),
        (Some(1), vec![0, 2, 3])
    );
    assert_eq!((o[2].customer, o[2].items.clone()), (None, vec![1, 2]));
    assert_eq!(o[0].ts, parse_time("2024-03-05 14:22:10").unwrap());
    assert_eq!(imp.titles[3], "Linen Napkin Set");
    // Unit price = sub_total / quantity, before coupons (32.00 for two ferns is 16.00).
    assert_eq!(imp.prices, vec![1600, 2000, 2500, 1200]);
}

#[test]
fn column_flags_turn_detection_off() {
    let mut opts = usd();
    opts.columns.user = Some("Email".into());
    opts.columns.item = Some("Lineitem sku".into());
    let imp = import_interactions(&fixture("shopify-orders.csv"), &opts).unwrap();
    assert_eq!(imp.columns.layout, "");
    assert_eq!(imp.stats.skipped_status, 0);
}

#[test]
fn a_model_builds_from_each_export_in_its_currency() {
    let dir = std::env::temp_dir().join(format!("attune-shop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, currency) in [
        ("shopify-orders.csv", "USD"),
        ("woocommerce-orders.csv", "EUR"),
    ] {
        let out = dir.join(format!("{file}.bin"));
        let report = run_build(&BuildArgs {
            interactions: fixture(file),
            out: out.clone(),
            catalog: None,
            settings: BuildSettings::default(),
            currency: None,
            import: ImportOptions::default(),
            format: Format::Csv,
            tune: None,
        })
        .unwrap();
        assert_eq!(report.items, 4, "{file}");
        let summary = report.summary(&out);
        assert!(summary.contains("order status:"), "{summary}");
        let m = load_model(&out).unwrap();
        assert_eq!(m.meta("currency"), Some(currency), "{file}");
        assert_eq!(m.index_of("MUG-1").and_then(|i| m.price(i)), Some(2500));
        assert!(!m.popular().0.is_empty());
    }
}
