//! The `attune` command line: argument parsing and printing only; the work lives in
//! `import`, `commands` and `eval`. The binary itself is the root package's `src/bin/attune.rs`.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands::{self, BuildArgs};
use crate::eval;
use crate::import::{ColumnNames, Format, ImportOptions, SkipItems, SkipPreset};
use crate::tune::TuneOptions;
use anyhow::{Context, Result};
use attune_core::build::{
    BuildSettings, NextSettings, DEFAULT_DP_MAX_ITEMS, DEFAULT_EDGE_BUDGET, DEFAULT_MIN_SUPPORT,
    DEFAULT_NEIGHBORS, DEFAULT_NEXT_NEIGHBORS, DEFAULT_POPULAR,
};
use attune_core::Scoring;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "attune",
    version,
    about = "Build and query Attune item-to-item recommendation models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatFlag {
    /// Order export: CSV with a header
    Csv,
    /// One basket per line, item names separated by commas (no header, no customers)
    Baskets,
    /// One customer per line: `user item item ...`, oldest first
    Sequences,
}

#[derive(Args, Clone)]
struct ImportFlags {
    /// Order export: CSV with a header, optionally gzip-compressed (.csv.gz)
    #[arg(long, value_name = "FILE")]
    interactions: PathBuf,
    /// Layout of the interactions file
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatFlag,
    /// User/customer column (default: user, customer, customerid, customer_id, …)
    #[arg(long, value_name = "COLUMN")]
    user_col: Option<String>,
    /// Item column (default: item, sku, stockcode, product_id, …)
    #[arg(long, value_name = "COLUMN")]
    item_col: Option<String>,
    /// Time column (default: ts, timestamp, time, date, invoicedate, order_date)
    #[arg(long, value_name = "COLUMN")]
    time_col: Option<String>,
    /// Order column (default: order, order_id, invoice, invoiceno)
    #[arg(long, value_name = "COLUMN")]
    order_col: Option<String>,
    /// Quantity column (default: quantity, qty); lines with quantity <= 0 are skipped
    #[arg(long, value_name = "COLUMN")]
    quantity_col: Option<String>,
    /// Comma-separated item ids that are not products (case-sensitive, trailing * = prefix),
    /// replacing the detected preset; pass an empty string to keep everything (default: the
    /// online-retail preset for a file with the Online Retail export's header, else none)
    #[arg(long, value_name = "LIST")]
    skip_items: Option<String>,
    /// Skip a named list of non-product codes: online-retail (the UCI Online Retail
    /// export's POST, D, M, S, B, … codes), on any layout
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(SkipPreset::NAMES))]
    skip_preset: Option<String>,
}

impl ImportFlags {
    fn format(&self) -> Format {
        match self.format {
            FormatFlag::Csv => Format::Csv,
            FormatFlag::Baskets => Format::Baskets,
            FormatFlag::Sequences => Format::Sequences,
        }
    }

    fn options(&self) -> ImportOptions {
        ImportOptions {
            columns: ColumnNames {
                user: self.user_col.clone(),
                item: self.item_col.clone(),
                time: self.time_col.clone(),
                order: self.order_col.clone(),
                quantity: self.quantity_col.clone(),
            },
            skip_items: match (&self.skip_items, &self.skip_preset) {
                (None, None) => SkipItems::Detect,
                (list, preset) => SkipItems::Given {
                    preset: preset.as_deref().and_then(SkipPreset::from_name),
                    patterns: list
                        .as_deref()
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                },
            },
            price_digits: crate::price::DEFAULT_DIGITS,
            currency: None,
            progress: true,
        }
    }
}

#[derive(Args, Clone)]
struct ModelFlags {
    /// Minimum number of distinct customers behind a kept pair (at least 2)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_SUPPORT,
          value_parser = clap::value_parser!(u32).range(2..))]
    min_support: u32,
    /// Neighbours kept per item
    #[arg(long, value_name = "K", default_value_t = DEFAULT_NEIGHBORS)]
    neighbors: usize,
    /// Neighbour edges a small catalogue may keep in all: each item keeps up to
    /// max(--neighbors, EDGES / items) neighbours (and as many regression candidates); 0 = off
    #[arg(long, value_name = "EDGES", default_value_t = DEFAULT_EDGE_BUDGET)]
    edge_budget: usize,
    /// "What comes next" items kept per item (0 = none)
    #[arg(long, value_name = "K", default_value_t = DEFAULT_NEXT_NEIGHBORS)]
    next_neighbors: usize,
    /// How many later orders of a customer count as "next"
    #[arg(long, value_name = "N", default_value_t = NextSettings::default().steps)]
    next_steps: usize,
    /// Weight of the d-th later order: DECAY^(d-1)
    #[arg(long, value_name = "DECAY", default_value_t = NextSettings::default().step_decay)]
    next_step_decay: f64,
    /// Each item's "next" sums are divided by (their total)^A: 1 = P(next | item), 0 = raw
    #[arg(long, value_name = "A", default_value_t = NextSettings::default().row_exponent)]
    next_row_exponent: f64,
    /// Length of the popularity fallback list
    #[arg(long, value_name = "N", default_value_t = DEFAULT_POPULAR)]
    popular: usize,
    /// Do not tune on the training data: use the settings below as given
    #[arg(long)]
    no_tune: bool,
    /// [--no-tune] How much of a neighbour's own popularity is divided out: 0 = confidence
    /// P(j|i), 0.5 = cosine
    #[arg(long, value_name = "BETA", default_value_t = BuildSettings::default().popularity_exponent)]
    popularity_exponent: f64,
    /// [--no-tune] Neighbours by regression (EASE over each item's most co-bought
    /// candidates) with this ridge, relative to the mean buyers per item; 0 = by
    /// co-occurrence with --popularity-exponent
    #[arg(long, value_name = "R", default_value_t = BuildSettings::default().regression.map_or(0.0, |r| r.ridge))]
    ridge: f64,
    /// Candidates per item in the regression
    #[arg(long, value_name = "M", default_value_t = attune_core::build::Regression::default().candidates)]
    candidates: usize,
    /// [--no-tune] Per-event history decay for the neighbour signal
    #[arg(long, value_name = "D", default_value_t = BuildSettings::default().scoring.history_decay)]
    history_decay: f32,
    /// [--no-tune] Weight of one unit of "what comes next" evidence (vs. a similarity of 1)
    #[arg(long, value_name = "W", default_value_t = BuildSettings::default().scoring.next_weight)]
    next_weight: f32,
    /// [--no-tune] Per-event history decay for the "what comes next" signal
    #[arg(long, value_name = "D", default_value_t = BuildSettings::default().scoring.next_decay)]
    next_decay: f32,
    /// [--no-tune] Count a repeated history item once (its strongest event), not per event
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set,
          default_value_t = BuildSettings::default().scoring.repeat_once)]
    repeat_once: bool,
    /// [--no-tune] Weight of a popularity prior (top item = this, relative to a neighbour
    /// weight of 1)
    #[arg(long, value_name = "W", default_value_t = BuildSettings::default().scoring.popularity_weight)]
    popularity_weight: f32,
    /// At most this many near-duplicates (items whose titles share most words) in a list;
    /// 0 = no limit
    #[arg(long, value_name = "N", default_value_t = BuildSettings::default().scoring.family_cap)]
    family_cap: u32,
    /// Title word overlap (Jaccard) that makes two items near-duplicates
    #[arg(long, value_name = "J", default_value_t = BuildSettings::default().family_similarity)]
    family_similarity: f64,
    /// Differential privacy: noise every published count with this total ε (the mechanism
    /// and its guarantee: docs/privacy.md); turns self-tuning off
    #[arg(long, value_name = "E")]
    dp_epsilon: Option<f64>,
    /// [--dp-epsilon] Distinct items one customer may contribute (their most recent ones)
    #[arg(long, value_name = "L", default_value_t = DEFAULT_DP_MAX_ITEMS as u32,
          value_parser = clap::value_parser!(u32).range(2..=100))]
    dp_max_items: u32,
    /// [--dp-epsilon] Fixed noise seed, FOR TESTS AND BENCHMARKS ONLY: anyone who knows it
    /// can recompute the noise, which voids the guarantee (default: drawn from the OS)
    #[arg(long, value_name = "N")]
    dp_seed: Option<u64>,
    /// Print every tuning trial (what was tried, its holdout NDCG@10, kept or not)
    #[arg(long)]
    trace: bool,
    /// Held-out cases used for tuning at most
    #[arg(long, value_name = "N", default_value_t = TuneOptions::default().max_cases)]
    tune_cases: usize,
}

impl ModelFlags {
    fn settings(&self) -> Result<BuildSettings> {
        let dp = match self.dp_epsilon {
            None => None,
            Some(e) if !(e.is_finite() && e > 0.0) => {
                anyhow::bail!("--dp-epsilon must be a finite number > 0, got {e}")
            }
            Some(epsilon) => Some(attune_core::build::Dp {
                epsilon,
                max_items: self.dp_max_items as usize,
                seed: match self.dp_seed {
                    Some(s) => attune_core::random::fixed_noise_seed(s),
                    None => os_seed()?,
                },
            }),
        };
        Ok(BuildSettings {
            dp,
            min_support: self.min_support,
            neighbors: self.neighbors,
            edge_budget: self.edge_budget,
            popular: self.popular,
            popularity_exponent: self.popularity_exponent,
            regression: (self.ridge > 0.0).then_some(attune_core::build::Regression {
                ridge: self.ridge,
                candidates: self.candidates,
            }),
            family_similarity: self.family_similarity,
            next: NextSettings {
                neighbors: self.next_neighbors,
                steps: self.next_steps,
                step_decay: self.next_step_decay,
                row_exponent: self.next_row_exponent,
            },
            scoring: Scoring {
                history_decay: self.history_decay,
                next_weight: self.next_weight,
                next_decay: self.next_decay,
                repeat_once: self.repeat_once,
                popularity_weight: self.popularity_weight,
                family_cap: self.family_cap,
                ..BuildSettings::default().scoring
            },
        })
    }

    fn tune(&self) -> Option<TuneOptions> {
        (!self.no_tune).then(|| TuneOptions {
            max_cases: self.tune_cases.max(1),
            ..TuneOptions::default()
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Build a model file from an order export
    Build {
        #[command(flatten)]
        import: ImportFlags,
        #[command(flatten)]
        model: ModelFlags,
        /// Where to write the model; a directory ending in `/` gets a sharded model
        /// (head.bin, shard-K.bin) beside the single file model.bin
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
        /// Shards of a sharded model (a power of two; 0 = the fewest for which the head
        /// and the largest shard are at most 40 KB gzip)
        #[arg(long, value_name = "N", default_value_t = 0)]
        shards: u32,
        /// Catalog CSV (id plus any of title, price, url, image) overriding derived fields
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// ISO 4217 currency of the prices (e.g. GBP, JPY, KWD): stored in the model, and its
        /// minor unit decides how prices are stored (META price_digits; default 2)
        #[arg(long, value_name = "CODE")]
        currency: Option<String>,
    },
    /// Recommend for histories on stdin: one line of item ids in, one line of ids out
    Recommend {
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// Recommendations per line
        #[arg(short = 'k', long = "k", default_value_t = 10)]
        k: usize,
    },
    /// Print the catalog as JSON (id, title, price, currency): most popular first, then the rest
    Catalog {
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// At most N items (default: all)
        #[arg(long, value_name = "N", default_value_t = usize::MAX, hide_default_value = true)]
        top: usize,
    },
    /// Describe a model file: sections, sizes, neighbour statistics, metadata
    Inspect {
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
    },
    /// Offline evaluation: hold out each user's last two interactions (or a basket's items),
    /// build as `attune build` does from the rest, report validation and test metrics
    Eval {
        #[command(flatten)]
        import: ImportFlags,
        #[command(flatten)]
        model: ModelFlags,
        /// Cut-off of the headline metrics in the text report (5, 10 or 20)
        #[arg(long, value_name = "K", default_value_t = 10,
              value_parser = clap::builder::ValueParser::new(parse_cutoff))]
        k: usize,
        /// Print one JSON object instead of tables
        #[arg(long)]
        json: bool,
    },
    /// Privacy audit of a built bundle: browser APIs reachable, network check, file hashes
    Audit(crate::audit::AuditArgs),
}

/// A 256-bit noise key from the operating system's randomness (getrandom: what keeps the
/// noise secret).
fn os_seed() -> Result<attune_core::random::NoiseSeed> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| {
        anyhow::anyhow!("--dp-epsilon needs the OS random source for its noise key: {e}")
    })?;
    Ok(key)
}

fn parse_cutoff(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(k) if crate::metrics::CUTOFFS.contains(&k) => Ok(k),
        _ => Err("the cut-off is one of 5, 10, 20".into()),
    }
}

pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed stdout (e.g. `| head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("attune: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            import,
            model,
            out,
            shards,
            catalog,
            currency,
        } => {
            let sharded = out.as_os_str().to_string_lossy().ends_with('/');
            if shards != 0 && !shards.is_power_of_two() {
                anyhow::bail!("--shards must be a power of two");
            }
            let file = if sharded {
                std::fs::create_dir_all(&out)
                    .with_context(|| format!("{}: cannot create", out.display()))?;
                out.join("model.bin")
            } else {
                out.clone()
            };
            let args = BuildArgs {
                interactions: import.interactions.clone(),
                out: file.clone(),
                catalog,
                settings: model.settings()?,
                currency,
                import: import.options(),
                format: import.format(),
                tune: model.tune(),
            };
            let report = commands::run_build(&args)?;
            eprint!("{}", report.summary(&file));
            if sharded {
                eprint!("{}", commands::write_shards(&file, &out, shards)?);
            }
            if model.trace {
                if let Some(r) = &report.tune {
                    eprint!("{}", crate::tune::trace_text(r));
                }
            }
        }
        Command::Recommend { model, k } => {
            let m = commands::load_model(&model)?;
            let stdin = std::io::stdin();
            let input: Box<dyn BufRead> = Box::new(BufReader::with_capacity(1 << 16, stdin.lock()));
            let out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            commands::recommend_stream(&m, k, input, out)?;
        }
        Command::Catalog { model, top } => {
            let m = commands::load_model(&model)?;
            let mut out = std::io::stdout().lock();
            out.write_all(commands::catalog_json(&m, top)?.as_bytes())?;
            out.flush()?;
        }
        Command::Inspect { model } => {
            let bytes = std::fs::read(&model)
                .with_context(|| format!("{}: cannot read", model.display()))?;
            let m = attune_core::Model::from_bytes(&bytes)
                .with_context(|| format!("{}: not a usable Attune model", model.display()))?;
            print!("{}", commands::inspect(&bytes, &m));
        }
        Command::Eval {
            import,
            model,
            k,
            json,
        } => {
            let format = import.format();
            let imported =
                crate::import::import_any(&import.interactions, format, &import.options())?;
            let r = eval::evaluate(&imported, format, &model.settings()?, model.tune().as_ref())?;
            if json {
                println!("{}", r.to_json());
            } else {
                print!("{}", r.to_text(k));
                if model.trace {
                    if let Some(t) = &r.tune {
                        print!("{}", crate::tune::trace_text(t));
                    }
                }
            }
        }
        Command::Audit(args) => crate::audit::run(&args)?,
    }
    Ok(())
}
