//! The browser's Arrow IPC ingest: any bytes, pushed in chunks of any size, then `finish`,
//! must give a table or an `IngestError`, never a panic, a hang or an unbounded allocation.
#![no_main]

use cohortlens::ingest::TableIngest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk size (1–256 bytes), like fetch's arbitrary chunking.
    let Some((&first, stream)) = data.split_first() else { return };
    let chunk = usize::from(first) + 1;
    let mut ingest = TableIngest::new("fuzz");
    for piece in stream.chunks(chunk) {
        if ingest.push(piece).is_err() {
            return;
        }
        let _ = ingest.take_batches();
    }
    let _ = ingest.finish(None);
});
