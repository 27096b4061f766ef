//! `cohortlens`: the operator's command line — generate a synthetic dataset, import real OMOP
//! CDM data, serve a dataset to the browser as Arrow streams, count cohorts and compute their statistics.

mod count;
mod dataset;
mod generate;
mod import;
mod load;
mod serve;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cohortlens", version, about = "Cohort analytics over OMOP CDM data")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a deterministic, All-of-Us-like synthetic OMOP dataset.
    Generate {
        /// Number of persons.
        #[arg(long, default_value_t = 10_000)]
        persons: u64,
        /// Random seed: the same persons and seed give byte-identical files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output dataset directory (must not exist, unless --force).
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing output directory.
        #[arg(long)]
        force: bool,
    },
    /// Import an OMOP CDM v5.3/v5.4 directory of Parquet or CSV files.
    Import {
        /// Directory with one file per table (e.g. person.parquet or PERSON.csv).
        #[arg(long)]
        from: PathBuf,
        /// Output dataset directory (must not exist, unless --force).
        #[arg(long)]
        out: PathBuf,
        /// Dataset name shown in the page (default: the source directory's name).
        #[arg(long)]
        name: Option<String>,
        /// The date current ages are computed at, YYYY-MM-DD (default: the latest event date).
        #[arg(long)]
        reference_date: Option<String>,
        /// Replace an existing output directory.
        #[arg(long)]
        force: bool,
    },
    /// Serve a dataset: catalog, Arrow streams and the web pages.
    Serve {
        /// Dataset directory written by `generate` or `import`.
        #[arg(long)]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Directory of the web pages.
        #[arg(long, default_value = "www")]
        www: PathBuf,
        /// Directory of the wasm-pack build.
        #[arg(long, default_value = "pkg")]
        pkg: PathBuf,
    },
    /// Count a cohort: print one JSON line per definition with the disclosed count.
    Count {
        /// Dataset directory written by `generate` or `import`.
        #[arg(long)]
        data: PathBuf,
        /// JSON file with one Cohort Builder definition or an array of them.
        #[arg(long)]
        definition: PathBuf,
        /// Also print the exact counts (cohort, groups, items) under "raw".
        #[arg(long)]
        raw: bool,
        /// Print load, index and evaluation times on stderr.
        #[arg(long)]
        timing: bool,
    },
    /// Statistics of a cohort or a concept: one JSON line per request with the disclosed table.
    Stats {
        /// Dataset directory written by `generate` or `import`.
        #[arg(long)]
        data: PathBuf,
        /// JSON file with one Cohort Builder definition: the scope is its cohort.
        #[arg(long, conflicts_with = "concept", required_unless_present = "concept")]
        definition: Option<PathBuf>,
        /// A concept id: the scope is the persons with it or a descendant.
        #[arg(long)]
        concept: Option<i32>,
        /// One statistics request as JSON, e.g. '{"kind": "age", "bands": "dataBrowser"}', or an array.
        #[arg(long)]
        stat: String,
        /// Disclosure policy: aou, suppress or perturbed.
        #[arg(long, default_value = "aou")]
        policy: String,
        /// Also print the exact cells under "raw".
        #[arg(long)]
        raw: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        Command::Generate { persons, seed, out, force } => {
            generate::run(&generate::Options { persons, seed, out, force }).map(|_| ()).map_err(Into::into)
        }
        Command::Import { from, out, name, reference_date, force } => {
            import::run(&import::Options { from, out, name, reference_date, force })
                .map(|_| ())
                .map_err(Into::into)
        }
        Command::Serve { data, addr, www, pkg } => serve::run(serve::Options { data, addr, www, pkg }),
        // `count` has its own exit codes: 2 for a bad definition.
        Command::Count { data, definition, raw, timing } => {
            return match count::run(&count::Options { data, definition, raw, timing }) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e}");
                    e.exit_code()
                }
            };
        }
        // `stats` too: 2 for wrong options or a failed request.
        Command::Stats { data, definition, concept, stat, policy, raw } => {
            return match stats::run(&stats::Options { data, definition, concept, stat, policy, raw }) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("error: {e}");
                    e.exit_code()
                }
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
