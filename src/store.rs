//! The columnar store: tables as Arrow record batches (the native tools keep whole tables; the
//! browser streams each batch into the cohort index and keeps only each table's
//! [`TableSummary`]).

use std::collections::{BTreeMap, HashSet};

use arrow_array::{Array, RecordBatch};
use arrow_data::ArrayData;
use arrow_schema::SchemaRef;
use serde::Serialize;

/// One loaded table.
#[derive(Debug)]
pub struct Table {
    name: String,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    rows: usize,
}

impl Table {
    /// A table from decoded batches, all of `schema`.
    pub fn new(name: String, schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        Self { name, schema, batches, rows }
    }

    /// Table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Arrow schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The record batches, in stream order.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Name, schema and batches, taken apart.
    pub fn into_parts(self) -> (String, SchemaRef, Vec<RecordBatch>) {
        (self.name, self.schema, self.batches)
    }

    /// Bytes of memory the table's Arrow buffers hold, each allocation counted once (columns
    /// decoded without copying share the allocation of the stream chunk they came from).
    pub fn memory_bytes(&self) -> usize {
        memory_bytes(&self.batches)
    }

    /// What the page shows about a table.
    pub fn summary(&self) -> TableSummary {
        TableSummary {
            name: self.name.clone(),
            rows: self.rows as u64,
            columns: self.schema.fields().iter().map(|f| f.name().clone()).collect(),
            memory_bytes: self.memory_bytes() as u64,
            bytes: None,
        }
    }
}

/// Bytes of memory the Arrow buffers of `batches` hold, each allocation counted once. Batches
/// of one stream never share an allocation (each message has its own), so the bytes of a
/// table are the sum over its batches, whether counted at once or batch by batch.
pub fn memory_bytes(batches: &[RecordBatch]) -> usize {
    fn visit(data: &ArrayData, seen: &mut HashSet<usize>, total: &mut usize) {
        let nulls = data.nulls().map(|n| n.buffer());
        for buffer in data.buffers().iter().chain(nulls) {
            if seen.insert(buffer.data_ptr().as_ptr() as usize) {
                *total += buffer.capacity();
            }
        }
        for child in data.child_data() {
            visit(child, seen, total);
        }
    }
    let (mut seen, mut total) = (HashSet::new(), 0);
    for column in batches.iter().flat_map(RecordBatch::columns) {
        visit(&column.to_data(), &mut seen, &mut total);
    }
    total
}

/// A table's name, size and columns.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct TableSummary {
    /// Table name.
    pub name: String,
    /// Row count.
    pub rows: u64,
    /// Column names in order.
    pub columns: Vec<String>,
    /// Bytes of Arrow memory the table's batches took when decoded (in the browser they are
    /// freed once the cohort index has taken what it reads).
    pub memory_bytes: u64,
    /// Bytes of the Arrow stream received (browser loads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// The loaded tables by name.
#[derive(Debug, Default)]
pub struct Store {
    tables: BTreeMap<String, Table>,
}

impl Store {
    /// Adds (or replaces) a table.
    pub fn insert(&mut self, table: Table) {
        self.tables.insert(table.name.clone(), table);
    }

    /// The table of that name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// All tables, by name.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }
}
