//! The `attune` command line: argument parsing and printing only; the work lives in
//! `import`, `commands` and `eval`. The binary itself is the root package's `src/bin/attune.rs`.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use crate::commands::{self, BuildArgs};
use crate::eval::{self, Split};
use crate::import::{ColumnNames, ImportOptions, DEFAULT_SKIP_ITEMS};
use attune_core::build::{BuildSettings, DEFAULT_MIN_SUPPORT, DEFAULT_NEIGHBORS, DEFAULT_POPULAR};
use clap::{Args, Parser, Subcommand};

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

#[derive(Args, Clone)]
struct ImportFlags {
    /// Order export: CSV with a header, optionally gzip-compressed (.csv.gz)
    #[arg(long, value_name = "FILE")]
    interactions: PathBuf,
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
    /// Comma-separated item ids that are not products (case-insensitive, trailing * = prefix);
    /// pass an empty string to keep everything
    #[arg(long, value_name = "LIST", default_value_t = DEFAULT_SKIP_ITEMS.join(","))]
    skip_items: String,
}

impl ImportFlags {
    fn options(&self) -> ImportOptions {
        ImportOptions {
            columns: ColumnNames {
                user: self.user_col.clone(),
                item: self.item_col.clone(),
                time: self.time_col.clone(),
                order: self.order_col.clone(),
                quantity: self.quantity_col.clone(),
            },
            skip_items: self
                .skip_items
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            progress: true,
        }
    }
}

#[derive(Args, Clone)]
struct ModelFlags {
    /// Minimum number of distinct customers who bought both items of a pair (at least 2)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_SUPPORT,
          value_parser = clap::value_parser!(u32).range(2..))]
    min_support: u32,
    /// Neighbours kept per item
    #[arg(long, value_name = "K", default_value_t = DEFAULT_NEIGHBORS)]
    neighbors: usize,
    /// Length of the popularity fallback list
    #[arg(long, value_name = "N", default_value_t = DEFAULT_POPULAR)]
    popular: usize,
}

impl ModelFlags {
    fn settings(&self) -> BuildSettings {
        BuildSettings {
            min_support: self.min_support,
            neighbors: self.neighbors,
            popular: self.popular,
        }
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
        /// Where to write the model
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
        /// Catalog CSV (id plus any of title, price, url, image) overriding derived fields
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Currency code stored in the model (e.g. GBP)
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
    /// Offline evaluation: hold out each customer's last order(s), build from the rest
    Eval {
        #[command(flatten)]
        import: ImportFlags,
        #[command(flatten)]
        model: ModelFlags,
        /// Also evaluate on the validation split (second-to-last order)
        #[arg(long)]
        validation: bool,
        /// Only the validation split (for choosing settings)
        #[arg(long, conflicts_with = "validation")]
        validation_only: bool,
        /// Score from only the last N history events (a bounded browser profile)
        #[arg(long, value_name = "N")]
        max_history: Option<usize>,
        /// Print JSON lines instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Privacy audit of a built bundle: browser APIs reachable, network check, file hashes
    Audit(crate::audit::AuditArgs),
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
            catalog,
            currency,
        } => {
            let args = BuildArgs {
                interactions: import.interactions.clone(),
                out: out.clone(),
                catalog,
                settings: model.settings(),
                currency,
                import: import.options(),
            };
            let report = commands::run_build(&args)?;
            eprint!("{}", report.summary(&out));
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
            out.write_all(commands::catalog_json(&m, top).as_bytes())?;
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
            validation,
            validation_only,
            max_history,
            json,
        } => {
            let imported =
                crate::import::import_interactions(&import.interactions, &import.options())?;
            let settings = model.settings();
            let mut splits = Vec::new();
            if validation || validation_only {
                splits.push(Split::Validation);
            }
            if !validation_only {
                splits.push(Split::Test);
            }
            for split in splits {
                let r = eval::evaluate(&imported, &settings, split, max_history)?;
                if json {
                    println!("{}", r.to_json(&settings));
                } else {
                    print!("{}", r.to_text(&settings));
                }
            }
        }
        Command::Audit(args) => crate::audit::run(&args)?,
    }
    Ok(())
}
