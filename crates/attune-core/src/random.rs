//! Every random draw the builder and the `attune` command make, in one place (native only:
//! nothing here reaches the Wasm bundle).
//!
//! - [`Noise`]: the differential-privacy noise. ChaCha20 keyed with 256 bits the caller
//!   passes in (the CLI reads them from the operating system; the core never reads the OS,
//!   so one key gives one model). The samplers are exact: integer arithmetic only, after
//!   Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS
//!   2020), Algorithms 1 and 2 — no floating-point logarithm whose rounding could make some
//!   outputs impossible and so reveal the true count (Mironov, CCS 2012).
//! - [`Draws`]: the evaluation's and the tuning's seeded choices (which item is held out,
//!   basket shuffles). Reproducible, not secret: ChaCha8 from a fixed seed.

use rand::seq::SliceRandom;
use rand::{Rng as _, RngExt, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};

/// The 256-bit key of the DP noise stream.
pub type NoiseSeed = [u8; 32];

/// A noise key from a number, FOR TESTS AND BENCHMARKS ONLY: anyone who knows the number
/// can recompute the noise.
pub fn fixed_noise_seed(n: u64) -> NoiseSeed {
    ChaCha20Rng::seed_from_u64(n).get_seed()
}

/// A rate `num / den` (both ≥ 1): the discrete Laplace / geometric parameter
/// `α = exp(−num/den)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    /// `ε · share / (shares · sensitivity)` as an exact fraction, with `ε` first rounded
    /// *down* to a multiple of 2⁻³² (a smaller ε only adds noise: the guarantee for the
    /// stated ε holds). `None` when ε is below 2⁻³², not finite, so large that the
    /// fraction does not fit 64 bits, or a part is zero.
    pub fn of(epsilon: f64, share: u64, shares: u64, sensitivity: u64) -> Option<Rate> {
        if !(epsilon.is_finite() && epsilon >= 1.0 / 4_294_967_296.0) {
            return None;
        }
        if share == 0 || shares == 0 || sensitivity == 0 {
            return None;
        }
        // Exact: scaling by a power of two does not round; `as` saturates past 2¹²⁸.
        let eps_num = (epsilon * 4_294_967_296.0).floor() as u128;
        let num = eps_num * u128::from(share);
        let den = (1u128 << 32) * u128::from(shares) * u128::from(sensitivity);
        let g = gcd(num, den);
        let (num, den) = (num / g, den / g);
        Some(Rate {
            num: u64::try_from(num).ok()?,
            den: u64::try_from(den).ok()?,
        })
    }

    /// `ln α = −num/den` (for the data-independent thresholds, not for sampling).
    pub fn ln_alpha(self) -> f64 {
        -(self.num as f64) / (self.den as f64)
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// The DP noise stream (module docs).
pub struct Noise(ChaCha20Rng);

impl Noise {
    pub fn new(seed: &NoiseSeed) -> Noise {
        Noise(ChaCha20Rng::from_seed(*seed))
    }

    /// Uniform in `0..n` (n ≥ 1), unbiased.
    fn below(&mut self, n: u128) -> u128 {
        self.0.random_range(0..n)
    }

    /// Bernoulli(num / den), 0 ≤ num ≤ den.
    fn bernoulli(&mut self, num: u128, den: u128) -> bool {
        self.below(den) < num
    }

    /// Bernoulli(exp(−num/den)), exactly (CKS Algorithm 1).
    pub fn bernoulli_exp(&mut self, num: u64, den: u64) -> bool {
        for _ in 0..num / den {
            if !self.bernoulli_exp_at_most_1(1, 1) {
                return false;
            }
        }
        self.bernoulli_exp_at_most_1(num % den, den)
    }

    /// γ = num/den ∈ [0, 1]: the first K with A_K = 0, A_k ~ Bernoulli(γ/k), is odd with
    /// probability exp(−γ).
    fn bernoulli_exp_at_most_1(&mut self, num: u64, den: u64) -> bool {
        let mut k: u128 = 1;
        while self.bernoulli(u128::from(num), u128::from(den) * k) {
            k += 1;
        }
        k % 2 == 1
    }

    /// Geometric on {0, 1, …} with P(G ≥ k) = α^k, α = exp(−rate), exactly: X = U + den·V
    /// with U ∈ 0..den accepted with probability exp(−U/den) and V ~ Geometric(e⁻¹) has
    /// P(X = x) ∝ exp(−x/den); ⌊X / num⌋ then has ratio exp(−num/den) (CKS Algorithm 2).
    pub fn geometric(&mut self, rate: Rate) -> i64 {
        let u = loop {
            let u = self.below(u128::from(rate.den)) as u64;
            if self.bernoulli_exp(u, rate.den) {
                break u;
            }
        };
        let mut v: u128 = 0;
        while self.bernoulli_exp(1, 1) {
            v += 1;
        }
        let x = u128::from(u).saturating_add(u128::from(rate.den).saturating_mul(v));
        i64::try_from(x / u128::from(rate.num)).unwrap_or(i64::MAX)
    }

    /// Two-sided geometric (discrete Laplace): P(X = x) = (1−α)/(1+α) · α^|x|, exactly: a
    /// geometric magnitude with a fair sign, "−0" rejected (CKS Algorithm 2).
    pub fn discrete_laplace(&mut self, rate: Rate) -> i64 {
        loop {
            let y = self.geometric(rate);
            let negative = self.0.next_u32() & 1 == 1;
            if negative && y == 0 {
                continue;
            }
            return if negative { -y } else { y };
        }
    }

    /// How many cells to skip before the next one selected with probability `p` (each cell
    /// independently): ⌊ln U / ln(1 − p)⌋ with U from 53 bits of the stream. Used only to
    /// *place* the never-bought cells over the threshold (their values are exact); its
    /// floating-point error is a relative ~2⁻⁵⁰ in `p`, with no impossible outputs to reveal
    /// anything. `u64::MAX` for `p` ≤ 0.
    pub fn skip(&mut self, p: f64) -> u64 {
        if p.is_nan() || p <= 0.0 {
            return u64::MAX;
        }
        if p >= 1.0 {
            return 0;
        }
        let u = ((self.0.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let g = (u.ln() / (-p).ln_1p()).floor();
        if g >= u64::MAX as f64 {
            u64::MAX
        } else {
            g as u64
        }
    }
}

/// Seeded, reproducible choices for the evaluation and the tuning (module docs).
#[derive(Clone, Debug)]
pub struct Draws(ChaCha8Rng);

impl Draws {
    pub fn seeded(seed: u64) -> Draws {
        Draws(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in `0..n` (n > 0), unbiased.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        v.shuffle(&mut self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_exact_fractions_rounded_down() {
        // ε = 4, share 2 of 5, sensitivity 10: 8/50 = 4/25.
        assert_eq!(Rate::of(4.0, 2, 5, 10), Some(Rate { num: 4, den: 25 }));
        assert_eq!(Rate::of(0.5, 1, 1, 1), Some(Rate { num: 1, den: 2 }));
        // 0.1 is not a dyadic fraction: rounded down to a multiple of 2⁻³², never up.
        let r = Rate::of(0.1, 1, 1, 1).unwrap();
        assert!((r.num as f64 / r.den as f64) <= 0.1);
        assert!(0.1 - (r.num as f64 / r.den as f64) < 1e-9);
        assert_eq!(
            Rate::of(1e12, 2, 4, 1),
            Some(Rate {
                num: 500_000_000_000,
                den: 1
            })
        );
        for bad in [0.0, -1.0, 1e-12, 1e30, f64::NAN, f64::INFINITY] {
            assert_eq!(Rate::of(bad, 1, 1, 1), None, "{bad}");
        }
    }

    #[test]
    fn bernoulli_exp_has_its_probability() {
        let mut n = Noise::new(&fixed_noise_seed(1));
        let runs = 100_000;
        for (num, den) in [(1u64, 3u64), (5, 2), (0, 7)] {
            let hits = (0..runs).filter(|_| n.bernoulli_exp(num, den)).count() as f64;
            let p = (-(num as f64) / den as f64).exp();
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            assert!(
                (hits / runs as f64 - p).abs() <= 4.0 * se + 1e-12,
                "{num}/{den}"
            );
        }
    }

    #[test]
    fn geometric_has_its_tail() {
        // α = e^-0.4: P(G ≥ k) = α^k.
        let rate = Rate { num: 2, den: 5 };
        let mut n = Noise::new(&fixed_noise_seed(3));
        let runs = 100_000;
        let xs: Vec<i64> = (0..runs).map(|_| n.geometric(rate)).collect();
        for k in [1, 2, 5] {
            let p = (-0.4 * k as f64).exp();
            let got = xs.iter().filter(|&&x| x >= k).count() as f64 / runs as f64;
            let se = (p * (1.0 - p) / runs as f64).sqrt();
            assert!((got - p).abs() < 4.0 * se, "k {k}: {got} vs {p}");
        }
        assert!(xs.iter().all(|&x| x >= 0));
    }

    #[test]
    fn one_seed_one_stream() {
        let rate = Rate { num: 1, den: 2 };
        let draw = |s: u64| {
            let mut n = Noise::new(&fixed_noise_seed(s));
            (0..50)
                .map(|_| n.discrete_laplace(rate))
                .collect::<Vec<i64>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
        let mut a = Draws::seeded(1);
        let mut b = Draws::seeded(1);
        for _ in 0..100 {
            let x = a.below(7);
            assert!(x < 7);
            assert_eq!(x, b.below(7));
        }
        let mut v: Vec<u32> = (0..10).collect();
        Draws::seeded(3).shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..10).collect::<Vec<u32>>());
        assert_ne!(v, s);
    }
}
