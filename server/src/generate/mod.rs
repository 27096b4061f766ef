//! `cohortlens generate`: a deterministic, All-of-Us-like synthetic OMOP CDM dataset — persons
//! aged 18–89 with diverse demographics, EHR visits, conditions, drugs, labs, procedures,
//! devices and deaths, enrollment physical measurements, survey answers and Fitbit days — with
//! a self-consistent `concept` and `concept_ancestor`.
//!
//! This module owns the run: it splits persons into chunks, generates chunks on worker threads
//! (`person`), writes them in order (`tables`) and writes the vocabulary (`vocab`). The same
//! persons count and seed always give byte-identical files, whatever the number of threads.

mod person;
mod tables;
mod vocab;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::dataset::{DatasetError, DatasetWriter, LAYOUT_VERSION, Manifest};

/// Persons generated together and written as one batch per table.
const CHUNK_PERSONS: u64 = 1024;
/// The largest dataset `generate` accepts.
pub const MAX_PERSONS: u64 = 100_000_000;

/// What to generate and where.
pub struct Options {
    /// Number of persons (at least 1).
    pub persons: u64,
    /// Random seed; the same persons and seed give byte-identical files.
    pub seed: u64,
    /// Output dataset directory.
    pub out: PathBuf,
    /// Replace `out` if it exists.
    pub force: bool,
    /// Reference date `YYYY-MM-DD`, on or after the end of the generated data (default: that
    /// end, 2023-10-01): current ages are computed at it.
    pub reference_date: Option<String>,
}

/// Why a dataset could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// `--persons 0`.
    #[error("--persons must be at least 1")]
    NoPersons,
    /// More persons than [`MAX_PERSONS`].
    #[error("--persons {0} is too many; at most {MAX_PERSONS} are supported")]
    TooManyPersons(u64),
    /// Writing the dataset failed.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// `--reference-date` is not a date on or after the end of the generated data.
    #[error(
        "--reference-date {0:?} must be a date YYYY-MM-DD on or after {end}, where the synthetic data ends",
        end = person::REFERENCE_TEXT
    )]
    BadReferenceDate(String),
    /// A generator thread stopped without delivering its chunk.
    #[error("a generator thread stopped unexpectedly; no dataset was written")]
    Worker,
}

/// Generates the dataset described by `o`, reporting progress on stderr.
pub fn run(o: &Options) -> Result<Manifest, GenerateError> {
    if o.persons == 0 {
        return Err(GenerateError::NoPersons);
    }
    if o.persons > MAX_PERSONS {
        return Err(GenerateError::TooManyPersons(o.persons));
    }
    let reference_date = match &o.reference_date {
        None => person::REFERENCE_TEXT.to_owned(),
        Some(text) => match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(d) if d.format("%Y-%m-%d").to_string().as_str() >= person::REFERENCE_TEXT => {
                d.format("%Y-%m-%d").to_string()
            }
            _ => return Err(GenerateError::BadReferenceDate(text.clone())),
        },
    };
    let started = Instant::now();
    let mut ds = DatasetWriter::create(&o.out, o.force)?;
    let mut writers = tables::Writers::open(&ds)?;
    writers.write_vocabulary()?;

    let chunks = o.persons.div_ceil(CHUNK_PERSONS);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8) as u64;
    let (persons, seed) = (o.persons, o.seed);
    std::thread::scope(|scope| -> Result<(), GenerateError> {
        // Worker w generates chunks w, w + threads, …, handing each over when the writer asks
        // for it (a rendezvous channel), so at most three chunks per worker exist at a time; the
        // writer hands written chunks back so their buffers are reused rather than reallocated.
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let (tx, rx) = mpsc::sync_channel::<tables::Chunk>(0);
                let (recycle, recycled) = mpsc::channel::<tables::Chunk>();
                scope.spawn(move || {
                    for c in (w..chunks).step_by(threads as usize) {
                        let first = c * CHUNK_PERSONS;
                        let mut chunk = recycled.try_recv().unwrap_or_default();
                        chunk.clear();
                        person::generate_chunk(seed, first, CHUNK_PERSONS.min(persons - first), &mut chunk);
                        if tx.send(chunk).is_err() {
                            return; // the writer gave up
                        }
                    }
                });
                (rx, recycle)
            })
            .collect();
        let mut last_report = Instant::now();
        for c in 0..chunks {
            let (chunks_in, recycle) = &workers[(c % threads) as usize];
            let chunk = chunks_in.recv().map_err(|_| GenerateError::Worker)?;
            writers.write_chunk(&chunk)?;
            // The worker may have finished; then the chunk is simply dropped.
            let _ = recycle.send(chunk);
            let done = ((c + 1) * CHUNK_PERSONS).min(persons);
            if last_report.elapsed() >= Duration::from_secs(1) || done == persons {
                eprintln!(
                    "generate: {done}/{persons} persons ({:.0}%)",
                    100.0 * done as f64 / persons as f64
                );
                last_report = Instant::now();
            }
        }
        Ok(())
    })?;

    let counts = writers.finish(&mut ds)?;
    let manifest = ds.finish(Manifest {
        name: format!("synthetic-{}-seed{}", o.persons, o.seed),
        version: LAYOUT_VERSION.to_owned(),
        source: format!(
            "cohortlens generate --persons {} --seed {} (synthetic All-of-Us-like OMOP CDM data, generator v1)",
            o.persons, o.seed
        ),
        cdm_version: "5.4".to_owned(),
        date_shift_note: format!(
            "All dates are synthetic, generated up to {}; ages are at the reference date {reference_date}; \
             no real dates exist, so none were shifted.",
            person::REFERENCE_TEXT
        ),
        reference_date,
        synthetic: true,
        tables: Default::default(),
    })?;
    let rows: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    eprintln!(
        "generate: wrote {} in {:.1}s: {}",
        o.out.display(),
        started.elapsed().as_secs_f64(),
        rows.join(", ")
    );
    Ok(manifest)
}
