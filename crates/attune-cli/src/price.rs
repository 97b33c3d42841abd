//! Prices in minor units with each currency's own ISO 4217 exponent: ¥1500 is stored as
//! 1500 (JPY has no minor unit), £12.50 as 1250, 1.234 KWD as 1234. The model's META
//! `price_digits` records the exponent, so a reader formats `minor / 10^price_digits`.
//! Parsing is exact decimal arithmetic (no floating point), so `2.55` is 255, always.

use attune_core::Model;

/// The exponent when the currency is unknown or not given (most currencies have cents).
pub const DEFAULT_DIGITS: u32 = 2;

/// ISO 4217 currencies whose minor unit is not 1/100 (the list maintained by SIX,
/// "List One: Currency, fund and precious metal codes"; every code not here has 2).
const DIGITS: &[(&str, u32)] = &[
    // No minor unit.
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    // Thousandths.
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    // Ten-thousandths (units of account).
    ("CLF", 4),
    ("UYW", 4),
];

/// The ISO 4217 exponent of `currency` (case-insensitive); [`DEFAULT_DIGITS`] for none or
/// an unknown code.
pub fn digits(currency: Option<&str>) -> u32 {
    let Some(code) = currency.map(|c| c.trim().to_ascii_uppercase()) else {
        return DEFAULT_DIGITS;
    };
    DIGITS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(DEFAULT_DIGITS, |&(_, d)| d)
}

/// The exponent a model's prices are stored with: META `price_digits`, or 2 for models
/// written before it existed (they stored ×100).
pub fn model_digits(model: &Model) -> u32 {
    model
        .meta("price_digits")
        .and_then(|d| d.parse().ok())
        .filter(|&d| d <= 9)
        .unwrap_or(DEFAULT_DIGITS)
}

/// Parses a non-negative decimal price in major units (`12.50`, `£1.10`, `1500`) into
/// minor units with `digits` decimals, exactly; more decimals than that are rounded half
/// up. `None` for anything else, or a price that does not fit below `u32::MAX`.
pub fn parse_price(s: &str, digits: u32) -> Option<u32> {
    let t = s
        .trim()
        .trim_start_matches(['£', '$', '€', '¥', '+'])
        .trim();
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return None;
    }
    let scale = 10u128.pow(digits);
    let mut minor: u128 = 0;
    for b in whole.bytes() {
        minor = minor.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
        if minor > u128::from(u32::MAX) {
            return None;
        }
    }
    minor *= scale;
    let fb = frac.as_bytes();
    let mut place = scale;
    for &b in fb.iter().take(digits as usize) {
        place /= 10;
        minor += u128::from(b - b'0') * place;
    }
    if fb.get(digits as usize).is_some_and(|&b| b >= b'5') {
        minor += 1;
    }
    // u32::MAX is the model's "no price".
    u32::try_from(minor).ok().filter(|&m| m < u32::MAX)
}

/// Minor units as an exact decimal in major units: `major_text(1250, 2)` = `12.50`.
pub fn major_text(minor: u32, digits: u32) -> String {
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(digits);
    let m = u64::from(minor);
    format!(
        "{}.{:0width$}",
        m / scale,
        m % scale,
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_currency_keeps_its_own_minor_unit() {
        // The issue-11 cases: ¥1,500 is 1500 yen, not 150000.
        assert_eq!(
            (
                parse_price("1500", digits(Some("JPY"))),
                digits(Some("JPY"))
            ),
            (Some(1500), 0)
        );
        assert_eq!(
            (
                parse_price("12.50", digits(Some("GBP"))),
                digits(Some("GBP"))
            ),
            (Some(1250), 2)
        );
        assert_eq!(
            (
                parse_price("1.234", digits(Some("KWD"))),
                digits(Some("KWD"))
            ),
            (Some(1234), 3)
        );
        assert_eq!(digits(Some("bhd")), 3);
        assert_eq!(digits(Some("KRW")), 0);
        assert_eq!(digits(Some("EUR")), 2);
        assert_eq!(digits(Some("XYZ")), 2);
        assert_eq!(digits(None), 2);
        assert_eq!(major_text(1500, 0), "1500");
        assert_eq!(major_text(1250, 2), "12.50");
        assert_eq!(major_text(1234, 3), "1.234");
        assert_eq!(major_text(5, 3), "0.005");
        assert_eq!(major_text(110, 2), "1.10");
    }

    #[test]
    fn parsing_is_exact_decimal() {
        assert_eq!(parse_price("2.55", 2), Some(255));
        assert_eq!(parse_price("0.29", 2), Some(29));
        assert_eq!(parse_price("£1.10", 2), Some(110));
        assert_eq!(parse_price("2.5", 2), Some(250));
        assert_eq!(parse_price(".5", 2), Some(50));
        assert_eq!(parse_price("7.", 2), Some(700));
        // Beyond the currency's digits: half up, on the decimal (f64 made 2.675 → 267).
        assert_eq!(parse_price("2.675", 2), Some(268));
        assert_eq!(parse_price("2.674", 2), Some(267));
        assert_eq!(parse_price("1499.5", 0), Some(1500));
        assert_eq!(parse_price("0.001", 2), Some(0));
        for bad in ["-1", "abc", "", ".", "1.2.3", "1,500", "1e3", "42949672.95"] {
            assert_eq!(parse_price(bad, 2), None, "{bad}");
        }
        assert_eq!(parse_price("42949672.94", 2), Some(u32::MAX - 1));
    }
}
