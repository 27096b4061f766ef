//! Push-based decoding of one table's Arrow IPC stream, chunk by chunk as it arrives from the
//! network, into a [`Table`] of the store. The whole stream is never buffered: a [`Framer`]
//! copies each IPC message once, straight from the chunks into an allocation of the message's
//! exact size, checks its metadata — arrow-ipc panics on buffers that point outside the body —
//! and hands it to arrow-ipc's `StreamDecoder`, which decodes it without a further copy. A
//! body whose buffers are LZ4-compressed (Arrow IPC buffer compression, `LZ4_FRAME`) is checked
//! by the lengths its buffers announce, then decoded here, each buffer straight into its place
//! in an uncompressed copy of the message that the decoder then reads as any other.

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::convert::try_fb_to_schema;
use arrow_ipc::reader::StreamDecoder;
use arrow_ipc::{
    BodyCompressionMethod, Buffer as IpcBuffer, CompressionType, FieldNode, MessageBuilder, MessageHeader,
    RecordBatchBuilder, root_as_message,
};
use arrow_schema::DataType;
use flatbuffers::FlatBufferBuilder;
use serde::Serialize;

use crate::store::Table;

/// Largest metadata (flatbuffer) part of one message accepted, in bytes.
const MAX_METADATA_BYTES: usize = 16 << 20;
/// Largest body of one message accepted, in bytes (the server sends 65,536-row batches).
const MAX_BODY_BYTES: usize = 1 << 30;
/// Most bytes reserved for a message before they arrive: a message declaring a larger body
/// grows with the bytes that do arrive, so a few forged header bytes cannot claim a gigabyte.
const MAX_RESERVE_BYTES: usize = 64 << 20;
/// The continuation token that starts every message of the current IPC format.
const CONTINUATION: u32 = 0xffff_ffff;
/// The most an LZ4 frame can expand: the format spends at least one byte per 255 bytes of
/// output, so a compressed buffer announcing more than this many times its size is forged.
const MAX_LZ4_RATIO: u64 = 255;

/// Why a table's stream could not be decoded. Every variant names the table.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IngestError {
    /// The bytes are not a valid Arrow IPC stream.
    #[error(
        "table {table}: the data is not a valid Arrow stream ({detail}); reload the page, and if it happens again check that the server serves a cohortlens dataset"
    )]
    Malformed {
        /// The table.
        table: String,
        /// What the decoder found.
        detail: String,
    },
    /// The stream stopped before its end marker or before all its rows arrived.
    #[error(
        "table {table}: the stream was cut off ({detail}); the connection was interrupted — reload to try again"
    )]
    Truncated {
        /// The table.
        table: String,
        /// What was missing.
        detail: String,
    },
}

impl IngestError {
    /// Stable machine-readable code, surfaced to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Malformed { .. } => "malformed_stream",
            IngestError::Truncated { .. } => "truncated_stream",
        }
    }
}

/// How far one table's load has come, as reported to `onProgress`.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct LoadProgress {
    /// Table name.
    pub table: String,
    /// Arrow stream bytes received so far.
    pub bytes: u64,
    /// Rows decoded so far.
    pub rows: u64,
    /// Whether the table is complete.
    pub done: bool,
}

/// The decoder of one table's stream.
pub struct TableIngest {
    table: String,
    framer: Framer,
    decoder: StreamDecoder,
    batches: Vec<RecordBatch>,
    bytes: u64,
    rows: u64,
}

impl TableIngest {
    /// Starts decoding the stream of `table`.
    pub fn new(table: &str) -> Self {
        Self {
            table: table.to_owned(),
            framer: Framer::default(),
            decoder: StreamDecoder::new(),
            batches: Vec::new(),
            bytes: 0,
            rows: 0,
        }
    }

    /// Decodes the next chunk of the stream, of any size.
    pub fn push<C: Chunk + ?Sized>(&mut self, chunk: &C) -> Result<(), IngestError> {
        self.bytes += chunk.len() as u64;
        let mut messages = Vec::new();
        self.framer.push(chunk, &mut messages).map_err(|d| self.malformed(d))?;
        for mut message in messages {
            while !message.is_empty() {
                match self.decoder.decode(&mut message) {
                    Ok(Some(batch)) => {
                        self.rows += batch.num_rows() as u64;
                        self.batches.push(batch);
                    }
                    Ok(None) => {}
                    Err(e) => return Err(self.malformed(e.to_string())),
                }
            }
        }
        Ok(())
    }

    /// Takes the record batches decoded so far (a consumer that absorbs batches as they arrive,
    /// like the cohort index, keeps the stream from being held whole); [`TableIngest::finish`]
    /// then returns a table of the batches not taken.
    pub fn take_batches(&mut self) -> Vec<RecordBatch> {
        std::mem::take(&mut self.batches)
    }

    /// Progress so far.
    pub fn progress(&self, done: bool) -> LoadProgress {
        LoadProgress { table: self.table.clone(), bytes: self.bytes, rows: self.rows, done }
    }

    /// Ends the stream. It must have ended cleanly (end marker after whole messages) and, when
    /// the sender announced a row count, carried exactly that many rows.
    pub fn finish(mut self, expected_rows: Option<u64>) -> Result<Table, IngestError> {
        if !self.framer.ended {
            return Err(self.truncated(format!("no end-of-stream marker after {} bytes", self.bytes)));
        }
        if let Err(e) = self.decoder.finish() {
            return Err(self.truncated(format!("{e} after {} bytes", self.bytes)));
        }
        let Some(schema) = self.decoder.schema() else {
            return Err(self.truncated("the stream has no schema message".into()));
        };
        if let Some(expected) = expected_rows.filter(|&n| n != self.rows) {
            return Err(self.truncated(format!("{} of {expected} rows arrived", self.rows)));
        }
        Ok(Table::new(self.table, schema, self.batches))
    }

    fn malformed(&self, detail: String) -> IngestError {
        IngestError::Malformed { table: self.table.clone(), detail }
    }

    fn truncated(&self, detail: String) -> IngestError {
        IngestError::Truncated { table: self.table.clone(), detail }
    }
}

/// A chunk of the stream that bytes can be copied out of: a Rust slice, or (in wasm) the
/// JavaScript `Uint8Array` that `fetch` delivered, read without an intermediate copy.
pub trait Chunk {
    /// Its length in bytes.
    fn len(&self) -> usize;
    /// Whether it holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends bytes `start..start + n` to `dst`.
    fn append_to(&self, start: usize, n: usize, dst: &mut Vec<u8>);
}

impl Chunk for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn append_to(&self, start: usize, n: usize, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self[start..start + n]);
    }
}

/// Cuts a byte stream into whole, checked IPC messages, each copied once into its own
/// allocation of exactly its size (8-byte aligned, so arrow-ipc never re-copies for alignment);
/// a message larger than [`MAX_RESERVE_BYTES`] grows as its bytes arrive instead.
struct Framer {
    /// The message being gathered: prefix, then metadata, then body.
    message: Vec<u8>,
    /// How many bytes `message` must hold before it is looked at again.
    want: usize,
    /// Whether `want` is the whole message's length (its metadata has been checked).
    known: bool,
    /// Whether the end-of-stream marker has been seen.
    ended: bool,
    /// The buffers of each column, once the schema message has been read.
    columns: Option<Vec<&'static [BufferKind]>>,
    /// Whether the message is a record batch with a compressed body, whose buffers' announced
    /// lengths are checked once it is whole.
    compressed: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self { message: Vec::new(), want: 4, known: false, ended: false, columns: None, compressed: false }
    }
}

impl Framer {
    /// Appends every message completed by `chunk` to `out`.
    fn push<C: Chunk + ?Sized>(&mut self, chunk: &C, out: &mut Vec<Buffer>) -> Result<(), String> {
        let mut at = 0;
        while at < chunk.len() {
            if self.ended {
                return Err("bytes after the end-of-stream marker".into());
            }
            let take = (self.want - self.message.len()).min(chunk.len() - at);
            chunk.append_to(at, take, &mut self.message);
            at += take;
            if self.message.len() < self.want {
                break;
            }
            if !self.known {
                match frame(&mut self.columns, &mut self.compressed, &self.message)? {
                    Frame::Partial(n) => {
                        self.want = n;
                        continue;
                    }
                    Frame::Known(len) => {
                        self.message.reserve_exact(len.min(MAX_RESERVE_BYTES) - self.message.len());
                        self.want = len;
                        self.known = true;
                        continue;
                    }
                    Frame::Complete => {}
                    Frame::End => self.ended = true,
                }
            }
            let mut message = std::mem::take(&mut self.message);
            if std::mem::take(&mut self.compressed) {
                message = decompress_message(self.columns.as_deref().expect("checked in frame"), &message)?;
            }
            out.push(Buffer::from(message));
            self.want = 4;
            self.known = false;
        }
        Ok(())
    }
}

/// What the start of a message says about its length.
#[derive(Clone, Copy)]
enum Frame {
    /// The whole message is here (it has no body).
    Complete,
    /// The message is `n` bytes long (its metadata is read and checked); not all are here.
    Known(usize),
    /// The end-of-stream marker is here.
    End,
    /// At least `n` bytes are needed to know more.
    Partial(usize),
}

/// Reads and checks the framing and metadata of the message at the start of `bytes`; a schema
/// message sets `columns`, against which later record batches are checked, and a record batch
/// with a compressed body sets `compressed`.
fn frame(
    columns: &mut Option<Vec<&'static [BufferKind]>>,
    compressed: &mut bool,
    bytes: &[u8],
) -> Result<Frame, String> {
    if bytes.len() < 4 {
        return Ok(Frame::Partial(4));
    }
    let (prefix, meta_len) = match prefix_and_metadata_len(bytes) {
        Some(lengths) => lengths,
        None => return Ok(Frame::Partial(8)),
    };
    if meta_len == 0 {
        return Ok(Frame::End);
    }
    if meta_len > MAX_METADATA_BYTES {
        return Err(format!("a message declares {meta_len} bytes of metadata"));
    }
    if bytes.len() < prefix + meta_len {
        return Ok(Frame::Partial(prefix + meta_len));
    }
    let message = root_as_message(&bytes[prefix..prefix + meta_len])
        .map_err(|e| format!("unreadable message metadata: {e}"))?;
    let body = usize::try_from(message.bodyLength())
        .ok()
        .filter(|&b| b <= MAX_BODY_BYTES)
        .ok_or_else(|| format!("a message declares a body of {} bytes", message.bodyLength()))?;
    match message.header_type() {
        MessageHeader::Schema => {
            let fb = message.header_as_schema().ok_or("a schema message without a schema")?;
            let schema = try_fb_to_schema(fb).map_err(|e| format!("unreadable schema: {e}"))?;
            let kinds = schema
                .fields()
                .iter()
                .map(|f| {
                    buffer_kinds(f.data_type()).ok_or_else(|| {
                        format!(
                            "column {} has type {}, which cohortlens does not load",
                            f.name(),
                            f.data_type()
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            *columns = Some(kinds);
        }
        MessageHeader::RecordBatch => {
            let batch = message.header_as_record_batch().ok_or("a record batch message without a batch")?;
            let kinds = columns.as_deref().ok_or("a record batch before the schema")?;
            *compressed = check_batch(&batch, kinds, body, None)?;
        }
        MessageHeader::DictionaryBatch => {
            return Err("dictionary-encoded columns are not supported".into());
        }
        _ => {}
    }
    let len = prefix + meta_len + body;
    Ok(if bytes.len() >= len { Frame::Complete } else { Frame::Known(len) })
}

/// The length of a message's prefix (8 with the continuation token, 4 in the pre-1.0 format
/// without it) and of its metadata, or `None` if fewer than 8 bytes of a prefix with the token
/// are here. `bytes` holds at least 4.
fn prefix_and_metadata_len(bytes: &[u8]) -> Option<(usize, usize)> {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    if word(0) != CONTINUATION {
        return Some((4, word(0) as usize));
    }
    (bytes.len() >= 8).then(|| (8, word(4) as usize))
}

/// The uncompressed form of a whole record batch message whose body is LZ4-compressed (its
/// metadata checked by [`frame`]): the lengths its buffers announce are checked, then each
/// buffer is decoded straight into its place (8-byte aligned) in the new body, and the metadata
/// is rebuilt with the new places and no compression. arrow-ipc would decode each buffer
/// through a streaming frame reader that copies every block twice into fresh allocations.
fn decompress_message(columns: &[&[BufferKind]], message: &[u8]) -> Result<Vec<u8>, String> {
    let (prefix, meta_len) = prefix_and_metadata_len(message).expect("a whole message");
    let metadata = root_as_message(&message[prefix..prefix + meta_len]).expect("checked in frame");
    let batch = metadata.header_as_record_batch().expect("checked in frame");
    let body = &message[prefix + meta_len..];
    check_batch(&batch, columns, body.len(), Some(body))?;
    // Each buffer's compressed bytes (checked to lie in the body) and its place when decoded.
    let mut buffers = Vec::new();
    let mut places = Vec::new();
    let mut end = 0usize;
    for b in batch.buffers().iter().flatten() {
        let raw = &body[b.offset() as usize..][..b.length() as usize];
        let len = if raw.is_empty() { 0 } else { decoded_len(raw)? };
        buffers.push(raw);
        places.push(IpcBuffer::new(end as i64, len as i64));
        end += len.next_multiple_of(8);
    }
    let mut fbb = FlatBufferBuilder::new();
    let nodes: Vec<FieldNode> = batch.nodes().iter().flatten().copied().collect();
    let nodes = fbb.create_vector(&nodes);
    let places_fb = fbb.create_vector(&places);
    let mut rb = RecordBatchBuilder::new(&mut fbb);
    rb.add_length(batch.length());
    rb.add_nodes(nodes);
    rb.add_buffers(places_fb);
    let rb = rb.finish();
    let mut m = MessageBuilder::new(&mut fbb);
    m.add_version(metadata.version());
    m.add_header_type(MessageHeader::RecordBatch);
    m.add_header(rb.as_union_value());
    m.add_bodyLength(end as i64);
    let m = m.finish();
    fbb.finish(m, None);
    let meta = fbb.finished_data();
    // The body starts 8-byte aligned: the metadata is padded to end on a multiple of 8.
    let meta_padded = meta.len().next_multiple_of(8);
    let mut out = vec![0u8; 8 + meta_padded + end];
    out[..4].copy_from_slice(&CONTINUATION.to_le_bytes());
    out[4..8].copy_from_slice(&(meta_padded as u32).to_le_bytes());
    out[8..8 + meta.len()].copy_from_slice(meta);
    let new_body = &mut out[8 + meta_padded..];
    for (raw, place) in buffers.into_iter().zip(&places) {
        if place.length() == 0 {
            continue;
        }
        let dst = &mut new_body[place.offset() as usize..][..place.length() as usize];
        let (prefix, data) = raw.split_at(8);
        if prefix == (-1i64).to_le_bytes() {
            dst.copy_from_slice(data);
        } else {
            lz4_frame_into(data, dst)?;
        }
    }
    Ok(out)
}

/// The LZ4 frame format's magic number, its first four bytes.
const LZ4_MAGIC: u32 = 0x184d_2204;

/// Decodes the LZ4 frame `input` into exactly `out`. A frame of independent blocks without
/// checksums or dictionary — what arrow-rs, and so the server, writes — is decoded block by
/// block straight into `out`; any other frame (linked blocks or checksums, as Arrow C++ may
/// write) goes through lz4_flex's frame reader, which checks everything. One frame per buffer,
/// as Arrow writes it: bytes after it are an error.
fn lz4_frame_into(input: &[u8], out: &mut [u8]) -> Result<(), String> {
    if let Some(decoded) = independent_blocks_into(input, out) {
        return decoded;
    }
    use std::io::{ErrorKind, Read};
    let mut rest = input;
    let mut frame = lz4_flex::frame::FrameDecoder::new(&mut rest);
    match frame.read_exact(out) {
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(too_short(out.len())),
        Err(e) => return Err(format!("a compressed buffer does not decode ({e})")),
        Ok(()) => {}
    }
    match frame.read(&mut [0u8]) {
        Ok(0) if rest.is_empty() => Ok(()),
        Ok(0) => Err(BYTES_AFTER_FRAME.into()),
        Ok(_) => Err(too_long(out.len())),
        Err(e) => Err(format!("a compressed buffer does not decode ({e})")),
    }
}

/// [`lz4_frame_into`] for one frame of independent blocks with no checksum and no dictionary;
/// `None` for any other frame.
fn independent_blocks_into(input: &[u8], out: &mut [u8]) -> Option<Result<(), String>> {
    let (&magic, rest) = input.split_first_chunk::<4>()?;
    let (&[flags, _block_size], _) = rest.split_first_chunk::<2>()?;
    // Version 01, independent blocks, no block checksum, no content checksum, the reserved bit
    // clear, no dictionary; with or without the content size.
    if u32::from_le_bytes(magic) != LZ4_MAGIC || flags & 0b1111_0111 != 0b0110_0000 {
        return None;
    }
    // Magic, flags, block size, the content size when present, the header checksum.
    let mut at = 4 + 2 + if flags & 0b1000 != 0 { 8 } else { 0 } + 1;
    let mut written = 0;
    loop {
        let Some(&word) = input.get(at..).and_then(|r| r.first_chunk::<4>()) else {
            return Some(Err("a compressed buffer ends inside its frame".into()));
        };
        at += 4;
        let word = u32::from_le_bytes(word);
        if word == 0 {
            break;
        }
        let len = (word & 0x7fff_ffff) as usize;
        let Some(block) = input.get(at..).and_then(|r| r.get(..len)) else {
            return Some(Err("a compressed buffer ends inside a block".into()));
        };
        at += len;
        let rest = &mut out[written..];
        if word & 0x8000_0000 != 0 {
            // A block stored uncompressed.
            let Some(dst) = rest.get_mut(..len) else {
                return Some(Err(too_long(out.len())));
            };
            dst.copy_from_slice(block);
            written += len;
        } else {
            match lz4_flex::block::decompress_into(block, rest) {
                Ok(n) => written += n,
                Err(lz4_flex::block::DecompressError::OutputTooSmall { .. }) => {
                    return Some(Err(too_long(out.len())));
                }
                Err(e) => return Some(Err(format!("a compressed buffer does not decode ({e})"))),
            }
        }
    }
    Some(if at != input.len() {
        Err(BYTES_AFTER_FRAME.into())
    } else if written < out.len() {
        Err(too_short(out.len()))
    } else {
        Ok(())
    })
}

/// The error of a compressed buffer with bytes after its LZ4 frame.
const BYTES_AFTER_FRAME: &str = "a compressed buffer has bytes after its LZ4 frame";

/// The error of a buffer whose frame holds more than its announced length.
fn too_long(announced: usize) -> String {
    format!("a compressed buffer decodes to more than the {announced} bytes it announces")
}

/// The error of a buffer whose frame holds less than its announced length.
fn too_short(announced: usize) -> String {
    format!("a compressed buffer decodes to fewer than the {announced} bytes it announces")
}

/// The length a compressed buffer decodes to, from its 8-byte little-endian prefix (-1: the
/// rest is stored uncompressed).
fn decoded_len(buffer: &[u8]) -> Result<usize, String> {
    let Some((prefix, data)) = buffer.split_first_chunk::<8>() else {
        return Err(format!("a compressed buffer of {} bytes, shorter than its length prefix", buffer.len()));
    };
    match i64::from_le_bytes(*prefix) {
        -1 => Ok(data.len()),
        n if n >= 0 && n as u64 <= MAX_LZ4_RATIO * data.len() as u64 => Ok(n as usize),
        n => Err(format!("a compressed buffer of {} bytes announces {n} bytes", data.len())),
    }
}

/// One buffer of a column in a record batch body (Arrow columnar format, "Buffer listing").
#[derive(Clone, Copy, Debug)]
enum BufferKind {
    /// Validity bitmap, one bit per value (may be empty when there are no nulls).
    Validity,
    /// Bit-packed booleans.
    Bits,
    /// Fixed-width values of this many bytes.
    Fixed(usize),
    /// Offsets of this many bytes each, one more than the values.
    Offsets(usize),
    /// Variable-length bytes addressed by the offsets.
    Data,
}

/// The buffers of a flat column of this type, or `None` for types cohortlens does not load.
fn buffer_kinds(data_type: &DataType) -> Option<&'static [BufferKind]> {
    use BufferKind::*;
    Some(match data_type.primitive_width() {
        Some(1) => &[Validity, Fixed(1)],
        Some(2) => &[Validity, Fixed(2)],
        Some(4) => &[Validity, Fixed(4)],
        Some(8) => &[Validity, Fixed(8)],
        Some(16) => &[Validity, Fixed(16)],
        _ => match data_type {
            DataType::Null => &[],
            DataType::Boolean => &[Validity, Bits],
            DataType::Utf8 | DataType::Binary => &[Validity, Offsets(4), Data],
            DataType::LargeUtf8 | DataType::LargeBinary => &[Validity, Offsets(8), Data],
            _ => return None,
        },
    })
}

/// Checks that a record batch's nodes and buffers fit its columns and its `body` bytes, so that
/// decoding it cannot run outside a buffer, and returns whether the body is compressed. The
/// buffers of a compressed body fit by the lengths they announce, read from `body_bytes`: with
/// `None` (the metadata alone) only their places in the body are checked.
fn check_batch(
    batch: &arrow_ipc::RecordBatch,
    columns: &[&[BufferKind]],
    body: usize,
    body_bytes: Option<&[u8]>,
) -> Result<bool, String> {
    let compressed = match batch.compression() {
        None => false,
        Some(c) if c.codec() == CompressionType::LZ4_FRAME && c.method() == BodyCompressionMethod::BUFFER => {
            true
        }
        Some(c) => {
            return Err(format!(
                "IPC bodies compressed with {:?} are not supported; serve uncompressed or LZ4_FRAME-compressed \
                 Arrow (HTTP compression is fine)",
                c.codec()
            ));
        }
    };
    let mut decoded_total = 0usize;
    let rows = usize::try_from(batch.length()).map_err(|_| "a negative row count")?;
    let nodes: Vec<_> = batch.nodes().map(|n| n.iter().collect()).unwrap_or_default();
    let buffers: Vec<_> = batch.buffers().map(|b| b.iter().collect()).unwrap_or_default();
    if nodes.len() != columns.len() || buffers.len() != columns.iter().map(|c| c.len()).sum::<usize>() {
        return Err(format!(
            "a record batch with {} columns and {} buffers does not fit the schema",
            nodes.len(),
            buffers.len()
        ));
    }
    let mut buffers = buffers.iter();
    for (node, kinds) in nodes.iter().zip(columns) {
        if usize::try_from(node.length()) != Ok(rows)
            || node.null_count() < 0
            || node.null_count() > node.length()
        {
            return Err(format!(
                "a column of {} values (nulls {}) in a batch of {rows} rows",
                node.length(),
                node.null_count()
            ));
        }
        for kind in *kinds {
            let b = buffers.next().expect("buffer count checked above");
            let (offset, len) = match (usize::try_from(b.offset()), usize::try_from(b.length())) {
                (Ok(o), Ok(l)) if o.checked_add(l).is_some_and(|end| end <= body) => (o, l),
                _ => {
                    return Err(format!(
                        "a buffer ({} bytes at {}) lies outside the {body}-byte body",
                        b.length(),
                        b.offset()
                    ));
                }
            };
            let len = match body_bytes {
                _ if !compressed || len == 0 => len,
                Some(bytes) => decoded_len(&bytes[offset..offset + len])?,
                None if len < 8 => {
                    return Err(format!(
                        "a compressed buffer of {len} bytes, shorter than its length prefix"
                    ));
                }
                None => continue,
            };
            decoded_total += len;
            if decoded_total > MAX_BODY_BYTES {
                return Err(format!("a record batch decodes to more than {MAX_BODY_BYTES} bytes"));
            }
            let fits = match *kind {
                BufferKind::Validity => len == 0 && node.null_count() == 0 || len * 8 >= rows,
                BufferKind::Bits => len * 8 >= rows,
                BufferKind::Fixed(w) => len % w == 0 && len >= w * rows,
                BufferKind::Offsets(w) => rows == 0 && len == 0 || len % w == 0 && len >= w * (rows + 1),
                BufferKind::Data => true,
            };
            if !fits || offset % 8 != 0 && !matches!(kind, BufferKind::Data) {
                return Err(format!("a {kind:?} buffer of {len} bytes at {offset} does not fit {rows} rows"));
            }
        }
    }
    Ok(compressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{Int32Array, Int64Array, StringArray};
    use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
    use arrow_schema::{DataType, Field, Schema};

    /// A stream of `batches` batches of 1,000 rows (person_id, concept id, a string).
    fn stream(batches: usize) -> (Vec<u8>, u64) {
        stream_with(batches, IpcWriteOptions::default())
    }

    /// The same stream with LZ4-compressed bodies.
    fn lz4_stream(batches: usize) -> (Vec<u8>, u64) {
        stream_with(
            batches,
            IpcWriteOptions::default().try_with_compression(Some(CompressionType::LZ4_FRAME)).unwrap(),
        )
    }

    fn stream_with(batches: usize, options: IpcWriteOptions) -> (Vec<u8>, u64) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Int64, false),
            Field::new("condition_concept_id", DataType::Int32, false),
            Field::new("condition_source_value", DataType::Utf8, true),
        ]));
        let mut out = Vec::new();
        let mut w = StreamWriter::try_new_with_options(&mut out, &schema, options).unwrap();
        for b in 0..batches as i64 {
            let ids: Int64Array = (b * 1000..(b + 1) * 1000).collect();
            let concepts: Int32Array = (0..1000).map(|i| 201826 + i % 7).collect();
            let codes: StringArray = (0..1000).map(|i| (i % 5 != 0).then(|| format!("E11.{i}"))).collect();
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(ids), Arc::new(concepts), Arc::new(codes)],
            )
            .unwrap();
            w.write(&batch).unwrap();
        }
        w.finish().unwrap();
        drop(w);
        (out, batches as u64 * 1000)
    }

    /// The offset in `bytes` of the first record batch's body.
    fn first_body(bytes: &[u8]) -> usize {
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let batch_at = 8 + word(4);
        batch_at + 8 + word(batch_at + 4)
    }

    fn ingest(chunks: impl IntoIterator<Item = Vec<u8>>) -> Result<TableIngest, IngestError> {
        let mut t = TableIngest::new("condition_occurrence");
        for c in chunks {
            t.push(c.as_slice())?;
        }
        Ok(t)
    }

    #[test]
    fn decodes_a_stream_cut_at_every_small_chunk_size() {
        let (bytes, rows) = stream(3);
        for size in [1, 2, 3, 7, 8, 9, 64, 1000, 4096, bytes.len()] {
            let t = ingest(bytes.chunks(size).map(<[u8]>::to_vec)).unwrap();
            assert_eq!(t.progress(false).bytes, bytes.len() as u64);
            let table = t.finish(Some(rows)).unwrap();
            assert_eq!(table.rows(), rows as usize, "chunk size {size}");
            let memory = table.memory_bytes();
            assert!(
                memory > bytes.len() / 2 && memory < 3 * bytes.len(),
                "chunk size {size}: {memory} bytes held"
            );
            let ids = table
                .batches()
                .iter()
                .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec());
            assert!(ids.eq(0..rows as i64), "chunk size {size}: person ids out of order");
        }
    }

    #[test]
    fn an_lz4_compressed_stream_decodes_to_the_same_batches_at_every_chunk_size() {
        let (plain, rows) = stream(3);
        let (compressed, _) = lz4_stream(3);
        assert!(compressed.len() < plain.len() * 3 / 4, "{} bytes against {}", compressed.len(), plain.len());
        let expected = ingest([plain]).unwrap().finish(Some(rows)).unwrap();
        for size in [1, 7, 8, 9, 1000, compressed.len()] {
            let table =
                ingest(compressed.chunks(size).map(<[u8]>::to_vec)).unwrap().finish(Some(rows)).unwrap();
            assert_eq!(table.batches(), expected.batches(), "chunk size {size}");
        }
    }

    /// A column of zeros is LZ4's best case: the most a buffer expands must still be accepted.
    #[test]
    fn a_buffer_at_lz4s_best_ratio_is_accepted() {
        let schema = Arc::new(Schema::new(vec![Field::new("value", DataType::Int64, false)]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![0; 65_536]))]).unwrap();
        let options =
            IpcWriteOptions::default().try_with_compression(Some(CompressionType::LZ4_FRAME)).unwrap();
        let mut bytes = Vec::new();
        let mut w = StreamWriter::try_new_with_options(&mut bytes, &schema, options).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        drop(w);
        assert!(bytes.len() < 65_536 * 8 / 100, "{} bytes", bytes.len());
        let mut t = TableIngest::new("measurement");
        t.push(bytes.as_slice()).unwrap();
        assert_eq!(t.finish(Some(65_536)).unwrap().batches(), [batch]);
    }

    /// A forged length prefix would make the decoder reserve that much memory before
    /// decompressing: it is refused first.
    #[test]
    fn a_compressed_buffer_announcing_more_than_lz4_can_hold_is_malformed() {
        let (bytes, _) = lz4_stream(1);
        let body = first_body(&bytes);
        let announced = i64::from_le_bytes(bytes[body..body + 8].try_into().unwrap());
        assert!(announced > 0, "the first buffer is compressed");
        for forged in [i64::MAX, 1 << 40, -2] {
            let mut corrupt = bytes.clone();
            corrupt[body..body + 8].copy_from_slice(&forged.to_le_bytes());
            let err = ingest([corrupt]).map(|t| t.finish(None)).unwrap_err();
            assert!(
                matches!(err, IngestError::Malformed { .. }) && err.to_string().contains("announces"),
                "{err}"
            );
        }
    }

    #[test]
    fn corrupted_lz4_streams_are_errors_not_panics() {
        let (bytes, rows) = lz4_stream(2);
        let body = first_body(&bytes);
        let mut state = 0x2545f4914f6cdd1du64;
        for _ in 0..2_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut corrupt = bytes.clone();
            // Half the time inside the first body, where the compressed bytes are.
            let at = if state.is_multiple_of(2) {
                body + (state >> 8) as usize % 4000
            } else {
                (state >> 8) as usize % bytes.len()
            };
            corrupt[at.min(bytes.len() - 1)] ^= (state >> 40) as u8 | 1;
            if let Ok(t) = ingest([corrupt])
                && let Ok(table) = t.finish(Some(rows))
            {
                assert_eq!(table.rows(), rows as usize);
            }
        }
    }

    #[test]
    fn an_empty_table_decodes_to_its_schema_and_no_rows() {
        let (bytes, _) = stream(0);
        for size in [1, 3, 8, bytes.len()] {
            let table = ingest(bytes.chunks(size).map(<[u8]>::to_vec)).unwrap().finish(Some(0)).unwrap();
            assert_eq!((table.rows(), table.schema().fields().len()), (0, 3), "chunk size {size}");
        }
    }

    #[test]
    fn a_stream_cut_anywhere_is_a_truncation_error_naming_the_table() {
        let (bytes, rows) = stream(2);
        for cut in (0..bytes.len()).step_by(97).chain([bytes.len() - 8, bytes.len() - 1]) {
            let err = ingest([bytes[..cut].to_vec()]).unwrap().finish(None).unwrap_err();
            assert!(
                matches!(err, IngestError::Truncated { ref table, .. } if table == "condition_occurrence"),
                "cut {cut}: {err}"
            );
            assert!(err.to_string().contains("condition_occurrence"));
        }
        let err = ingest([bytes.clone()]).unwrap().finish(Some(rows + 1)).unwrap_err();
        assert_eq!(err.code(), "truncated_stream");
    }

    #[test]
    fn garbage_and_corrupted_streams_are_errors_not_panics() {
        let (bytes, rows) = stream(2);
        let mut state = 0x9e3779b97f4a7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2_000 {
            let mut corrupt = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % corrupt.len() as u64) as usize;
                corrupt[at] = next() as u8;
            }
            // Either an error, or a decode that still satisfies every check.
            if let Ok(t) = ingest([corrupt])
                && let Ok(table) = t.finish(Some(rows))
            {
                assert_eq!(table.rows(), rows as usize);
            }
        }
        let err = ingest([b"<html>502 Bad Gateway</html>".to_vec()]).map(|t| t.finish(None));
        assert!(matches!(err, Err(_) | Ok(Err(_))));
    }

    /// An unbounded allocation for `scripts/fuzz ipc_ingest` (`-malloc_limit_mb=1024`), seen while
    /// preparing its first run: a record batch header declaring a 1 GiB body made the framer
    /// reserve the whole gigabyte before any of it came.
    #[test]
    fn a_declared_huge_body_reserves_memory_only_as_its_bytes_arrive() {
        let (bytes, _) = stream(1);
        // The stream: schema message, one batch message, end marker. Find the batch's metadata.
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let batch_at = 8 + word(4);
        let meta = batch_at + 8..batch_at + 8 + word(batch_at + 4);
        let declared = root_as_message(&bytes[meta.clone()]).unwrap().bodyLength();
        // Forge bodyLength (an inline i64 of the flatbuffer) to the largest accepted body.
        let mut forged = bytes[..meta.end].to_vec();
        let needle = declared.to_le_bytes();
        let at = meta.start + forged[meta.clone()].windows(8).position(|w| w == needle).unwrap();
        forged[at..at + 8].copy_from_slice(&(MAX_BODY_BYTES as i64).to_le_bytes());
        assert_eq!(root_as_message(&forged[meta.clone()]).unwrap().bodyLength(), MAX_BODY_BYTES as i64);
        forged.extend_from_slice(&bytes[meta.end..]); // the real body, far short of 1 GiB
        let t = ingest([forged]).unwrap();
        let reserved = t.framer.message.capacity();
        assert!(
            reserved <= MAX_RESERVE_BYTES,
            "{reserved} bytes reserved for a message that has not arrived"
        );
        let err = t.finish(None).unwrap_err();
        assert!(matches!(err, IngestError::Truncated { .. }), "{err}");
    }

    /// 300 kB of bytes that compress, but not to nothing.
    fn sample_bytes() -> Vec<u8> {
        (0..300_000u32).map(|i| (i % 251) as u8 ^ (i / 977) as u8).collect()
    }

    /// `data` as one LZ4 frame written with `info`.
    fn lz4_frame(data: &[u8], info: lz4_flex::frame::FrameInfo) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn lz4_frames_of_every_kind_decode_in_place() {
        use lz4_flex::frame::{BlockMode, BlockSize, FrameInfo};
        let data = sample_bytes();
        let small = FrameInfo::new().block_size(BlockSize::Max64KB);
        let frames = [
            ("independent 64 KB blocks", small.clone(), true),
            ("with the content size", small.clone().content_size(Some(data.len() as u64)), true),
            ("linked blocks", small.clone().block_mode(BlockMode::Linked), false),
            ("block checksums", small.clone().block_checksums(true), false),
            ("a content checksum", small.clone().content_checksum(true), false),
        ];
        for (what, info, in_place) in frames {
            let frame = lz4_frame(&data, info);
            assert_eq!(
                independent_blocks_into(&frame, &mut vec![0; data.len()]).is_some(),
                in_place,
                "{what}"
            );
            let mut out = vec![0; data.len()];
            lz4_frame_into(&frame, &mut out).unwrap();
            assert!(out == data, "{what}: decodes to other bytes");
        }
        // One frame per buffer, as Arrow writes it: a second one is refused, not ignored.
        for info in [small.clone(), small.block_mode(BlockMode::Linked)] {
            let mut two = lz4_frame(&data[..100_000], info.clone());
            two.extend(lz4_frame(&data[100_000..], info));
            let err = lz4_frame_into(&two, &mut vec![0; 100_000]).unwrap_err();
            assert_eq!(err, BYTES_AFTER_FRAME);
        }
    }

    #[test]
    fn an_lz4_frame_of_another_length_than_announced_is_an_error() {
        use lz4_flex::frame::{BlockMode, FrameInfo};
        let data = sample_bytes();
        for info in [FrameInfo::new(), FrameInfo::new().block_mode(BlockMode::Linked)] {
            let frame = lz4_frame(&data, info);
            for announced in [data.len() - 1, data.len() + 1, 10] {
                let err = lz4_frame_into(&frame, &mut vec![0; announced]).unwrap_err();
                assert!(err.contains("announce"), "{announced} announced: {err}");
            }
            let cut = lz4_frame_into(&frame[..frame.len() - 9], &mut vec![0; data.len()]).unwrap_err();
            assert!(cut.contains("compressed buffer"), "{cut}");
        }
        // A corrupted content checksum is caught by the frame reader.
        let mut frame = lz4_frame(&data, FrameInfo::new().content_checksum(true));
        *frame.last_mut().unwrap() ^= 1;
        assert!(lz4_frame_into(&frame, &mut vec![0; data.len()]).is_err());
    }
}
