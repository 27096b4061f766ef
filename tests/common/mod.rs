//! Helpers shared by the wasm test files.

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;

/// `batch` as an Arrow IPC stream.
pub fn ipc(batch: &RecordBatch) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut writer = StreamWriter::try_new(&mut bytes, &batch.schema()).unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    bytes
}
