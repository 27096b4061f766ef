//! `cohortlens`: the operator's command line — generate a synthetic dataset, import real OMOP
//! CDM data, serve a dataset to the browser as Arrow streams (to token holders, for real data),
//! manage those tokens, summarise the audit log, count cohorts and compute their statistics.

mod audit;
mod count;
mod dataset;
mod generate;
mod import;
mod load;
mod publish;
mod serve;
mod sql;
mod stats;
mod tokens;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use axum::http::HeaderValue;
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
        /// The date current ages are computed at, YYYY-MM-DD, on or after 2023-10-01 where the
        /// synthetic data ends (default: 2023-10-01).
        #[arg(long)]
        reference_date: Option<String>,
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
        /// Directory of the web pages (default: the www/ next to or above the binary, else in
        /// or above the current directory).
        #[arg(long)]
        www: Option<PathBuf>,
        /// Directory of the wasm-pack build (default: found as www/ is).
        #[arg(long)]
        pkg: Option<PathBuf>,
        /// Tokens file (`cohortlens token create`): registered and controlled tables then need a
        /// bearer token of that scope. Required for a dataset that is not synthetic.
        #[arg(long)]
        tokens: Option<PathBuf>,
        /// Serve a dataset that is not synthetic without tokens: anyone who reaches the server
        /// reads every row. Never use this for real participants' data.
        #[arg(long, conflicts_with = "tokens")]
        insecure_serve_rows_without_tokens: bool,
        /// Append one JSON line per table request to this file (the audit log).
        #[arg(long)]
        audit: Option<PathBuf>,
        /// Write the request logs (stderr) as JSON lines.
        #[arg(long)]
        log_json: bool,
        /// Let pages of this origin (scheme://host[:port]) read the catalog and the row API
        /// from a browser (CORS); repeat for several. The public API is open to every origin.
        #[arg(long = "allow-origin", value_name = "ORIGIN", value_parser = serve::cors::parse_origin)]
        allow_origins: Vec<HeaderValue>,
        /// Compress table streams to loopback clients too (by default they are sent plain: on
        /// loopback compressing costs more time than it saves). For benchmarks that emulate a
        /// slow link in the browser.
        #[arg(long)]
        compress_loopback: bool,
        /// Requests a minute per address to the catalog and the public API.
        #[arg(long, default_value_t = NonZeroU32::new(60).expect("non-zero"))]
        rate_per_minute: NonZeroU32,
        /// Burst of requests per address to the catalog and the public API.
        #[arg(long, default_value_t = NonZeroU32::new(30).expect("non-zero"))]
        rate_burst: NonZeroU32,
        /// Concurrent table streams, all clients together.
        #[arg(long, default_value_t = 256)]
        max_streams: usize,
        /// Concurrent table streams of one token (or one address without a token).
        #[arg(long, default_value_t = 16)]
        max_streams_per_token: usize,
        /// Seconds a client may leave a response unread before it is disconnected.
        #[arg(long, default_value_t = 60)]
        write_timeout_secs: u64,
        /// Seconds a request may take to start answering before it gets 408 (a server-mode
        /// cohort included: raise it for a dataset of millions of persons)
        #[arg(long, default_value_t = 30)]
        request_timeout_secs: u64,
        /// Do not publish missing or stale public aggregates at start (the public API answers 503
        /// until `cohortlens publish` has run): for a dataset too large to publish on this machine
        #[arg(long)]
        no_publish: bool,
        /// Do not keep LZ4 table streams in DATA/stream-cache/ (by default the first request for
        /// a table's columns is written there and later ones are sent from it, saving the server
        /// the decoding and compressing; docs/loading.md)
        #[arg(long)]
        no_stream_cache: bool,
        /// Do not fill the stream cache at start (by default the streams a page's `Lens.open`
        /// asks for are encoded into it in the background once the server listens, so the first
        /// page to open the dataset is sent cached streams too)
        #[arg(long)]
        no_stream_cache_warmup: bool,
        /// Serve the public aggregates and the pages only: refuse every table row (no tokens
        /// needed, whatever the dataset).
        #[arg(long, conflicts_with_all = ["tokens", "insecure_serve_rows_without_tokens"])]
        public_only: bool,
    },
    /// Compute the public aggregates (the Data Browser's statistics, `aou` policy) into DIR/public.
    Publish {
        /// Dataset directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// Create, list or revoke the bearer tokens `serve --tokens` accepts.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Summarise an audit log written by `serve --audit`: who read what, per day.
    Audit {
        /// The audit log.
        #[arg(long)]
        log: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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
    /// Compile a cohort definition into one SQL query over the dataset's OMOP tables that
    /// returns the cohort's person_ids (docs/scaling.md).
    Sql {
        /// Dataset directory written by `generate` or `import` (its vocabulary and tables).
        #[arg(long)]
        data: PathBuf,
        /// JSON file with one Cohort Builder definition.
        #[arg(long)]
        definition: PathBuf,
        /// The SQL dialect: duckdb, datafusion, spark (Spark SQL 4) or bigquery (GoogleSQL);
        /// tables are named bare (person, measurement, …), as views or the default dataset.
        #[arg(long)]
        dialect: String,
    },
    /// Statistics of a cohort, a concept or the dataset: one JSON line per request with the disclosed table.
    Stats {
        /// Dataset directory written by `generate` or `import`.
        #[arg(long)]
        data: PathBuf,
        /// JSON file with one Cohort Builder definition: the scope is its cohort.
        #[arg(long, conflicts_with_all = ["concept", "dataset"], required_unless_present_any = ["concept", "dataset"])]
        definition: Option<PathBuf>,
        /// A concept id: the scope is the persons with it or a descendant.
        #[arg(long, conflicts_with = "dataset")]
        concept: Option<i32>,
        /// The scope is every person of the dataset (the Data Browser's population).
        #[arg(long)]
        dataset: bool,
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

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token: printed once on stdout, only its hash is stored.
    Create {
        /// What the token may read.
        #[arg(long, value_enum)]
        scope: tokens::Scope,
        /// A name for its holder (unique; shown in the audit log).
        #[arg(long)]
        name: String,
        /// The tokens file (created if absent).
        #[arg(long)]
        tokens: PathBuf,
    },
    /// List the tokens: name, scope, creation time (never the tokens).
    List {
        /// The tokens file.
        #[arg(long)]
        tokens: PathBuf,
    },
    /// Revoke a token by name; a running server stops accepting it at once.
    Revoke {
        /// The token's name.
        #[arg(long)]
        name: String,
        /// The tokens file.
        #[arg(long)]
        tokens: PathBuf,
    },
}

fn token(action: TokenAction) -> Result<(), Box<dyn std::error::Error>> {
    match action {
        TokenAction::Create { scope, name, tokens: path } => {
            let token = tokens::create(&path, &name, scope)?;
            println!("{token}");
            eprintln!(
                "created {} token {name:?} in {}; this is the only time it is shown: hand it over now",
                scope.name(),
                path.display()
            );
        }
        TokenAction::List { tokens: path } => {
            for t in tokens::read(&path)? {
                println!("{}\t{}\t{}", t.name, t.scope.name(), t.created);
            }
        }
        TokenAction::Revoke { name, tokens: path } => {
            tokens::revoke(&path, &name)?;
            eprintln!("revoked {name:?} in {}", path.display());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        Command::Generate { persons, seed, out, force, reference_date } => {
            generate::run(&generate::Options { persons, seed, out, force, reference_date })
                .map(|_| ())
                .map_err(Into::into)
        }
        Command::Import { from, out, name, reference_date, force } => {
            import::run(&import::Options { from, out, name, reference_date, force })
                .map(|_| ())
                .map_err(Into::into)
        }
        Command::Serve {
            data,
            addr,
            www,
            pkg,
            tokens,
            insecure_serve_rows_without_tokens,
            audit,
            log_json,
            allow_origins,
            compress_loopback,
            rate_per_minute,
            rate_burst,
            max_streams,
            max_streams_per_token,
            write_timeout_secs,
            request_timeout_secs,
            no_publish,
            no_stream_cache,
            no_stream_cache_warmup,
            public_only,
        } => serve::run(serve::Options {
            public_only,
            publish_at_start: !no_publish,
            stream_cache: !no_stream_cache,
            warm_stream_cache: !no_stream_cache_warmup,
            data,
            addr,
            www,
            pkg,
            tokens,
            insecure_serve_rows_without_tokens,
            audit,
            log_json,
            allow_origins,
            compress_loopback,
            limits: serve::Limits {
                public_per_minute: rate_per_minute,
                public_burst: rate_burst,
                max_streams: max_streams.max(1),
                max_streams_per_caller: max_streams_per_token.max(1),
                write_timeout: std::time::Duration::from_secs(write_timeout_secs.max(1)),
                request_timeout: std::time::Duration::from_secs(request_timeout_secs.max(1)),
                ..serve::Limits::default()
            },
        }),
        Command::Publish { data } => publish::run(&data).map_err(Into::into).map(|m| {
            println!(
                "published the public aggregates of {} into {} ({} policy, {}): domains {}; snapshot {}; per concept {}; \
                 surveys {} with {} questions ({} each); Fitbit tiles {} ({} each)",
                m.dataset,
                data.join(publish::DIR).display(),
                m.policy.name(),
                m.published,
                m.domains.join(", "),
                m.snapshot.join(", "),
                m.concept.join(", "),
                m.surveys.len(),
                m.surveys.iter().map(|s| s.questions.len()).sum::<usize>(),
                m.question.join(", "),
                cohortlens::stats::FitbitTile::ALL.map(publish::fitbit_tile_name).join(", "),
                m.fitbit.join(", ")
            )
        }),
        Command::Token { action } => token(action),
        Command::Audit { log, json } => {
            audit::summary(&log, json).map(|text| print!("{text}")).map_err(Into::into)
        }
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
        // `sql` too: 2 for a bad definition or dialect.
        Command::Sql { data, definition, dialect } => {
            return match sql::run(&sql::Options { data, definition, dialect }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    e.exit_code()
                }
            };
        }
        // `stats` too: 2 for wrong options or a failed request.
        Command::Stats { data, definition, concept, dataset, stat, policy, raw } => {
            return match stats::run(&stats::Options { data, definition, concept, dataset, stat, policy, raw })
            {
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
