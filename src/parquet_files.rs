//! Writing table files: sorted, compressed Parquet with statistics and bloom filters, made
//! visible only when complete.
//!
//! A file is written under a hidden temporary name (DataFusion's listing skips names starting
//! with `.`), fsynced, then renamed into place, and the folder is fsynced: a reader sees the
//! whole file or nothing, even if the writer is killed midway.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::metadata::SortingColumn;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;

use crate::schema::{PARTITION_COLUMN, TableDef};
use crate::{Error, Result};

/// Rows per row group: large enough for good compression, small enough to prune by statistics.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Columns looked up by equality, which get bloom filters.
const LOOKUP_COLUMNS: [&str; 3] = ["call_id", "agent_id", "customer_id"];

/// Writer properties for a table: ZSTD, page statistics, bloom filters on lookup columns, the
/// sort order recorded in the metadata, and a fixed `created_by` so output is reproducible.
pub fn writer_properties(table: &TableDef) -> WriterProperties {
    let sorting: Vec<SortingColumn> = table
        .sort_key
        .iter()
        .filter_map(|name| table.schema.index_of(name).ok())
        .filter_map(|i| i32::try_from(i).ok())
        .map(|column_idx| SortingColumn {
            column_idx,
            descending: false,
            nulls_first: false,
        })
        .collect();
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_sorting_columns(Some(sorting))
        .set_created_by(format!("callqa {}", env!("CARGO_PKG_VERSION")));
    for column in LOOKUP_COLUMNS {
        if table.schema.index_of(column).is_ok() {
            builder = builder.set_column_bloom_filter_enabled(ColumnPath::from(column), true);
        }
    }
    builder.build()
}

/// The folder of a table (or of one of its date partitions) under a data root.
pub fn table_folder(root: &Path, table: &TableDef, date: Option<NaiveDate>) -> PathBuf {
    let folder = root.join(table.name);
    match date {
        Some(date) if table.partitioned_by_date => {
            folder.join(format!("{PARTITION_COLUMN}={}", date.format("%Y-%m-%d")))
        }
        _ => folder,
    }
}

/// One table file being written; invisible until [`TableFileWriter::finish`].
pub struct TableFileWriter {
    writer: ArrowWriter<File>,
    temp: PathBuf,
    path: PathBuf,
    rows: u64,
}

impl std::fmt::Debug for TableFileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableFileWriter")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish()
    }
}

impl TableFileWriter {
    /// Starts `<root>/<table>[/date=…]/<file_name>` (a `.parquet` name).
    pub fn create(
        root: &Path,
        table: &TableDef,
        date: Option<NaiveDate>,
        file_name: &str,
    ) -> Result<Self> {
        let folder = table_folder(root, table, date);
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let path = folder.join(file_name);
        let temp = folder.join(format!(".{file_name}.tmp"));
        let file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        let writer = ArrowWriter::try_new(
            file,
            std::sync::Arc::clone(&table.schema),
            Some(writer_properties(table)),
        )
        .map_err(|source| Error::Parquet {
            path: temp.clone(),
            source,
        })?;
        Ok(TableFileWriter {
            writer,
            temp,
            path,
            rows: 0,
        })
    }

    /// Appends rows (already in the table's sort order).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(|source| Error::Parquet {
            path: self.temp.clone(),
            source,
        })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Completes the file, syncs it and renames it into place; returns the final path.
    pub fn finish(self) -> Result<PathBuf> {
        let file = self.writer.into_inner().map_err(|source| Error::Parquet {
            path: self.temp.clone(),
            source,
        })?;
        file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        drop(file);
        std::fs::rename(&self.temp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        if let Some(folder) = self.path.parent() {
            // The rename is durable only once the folder entry is on disk.
            File::open(folder)
                .and_then(|dir| dir.sync_all())
                .map_err(|e| Error::io(folder, e))?;
        }
        Ok(self.path)
    }
}
