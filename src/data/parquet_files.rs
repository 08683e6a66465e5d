//! Writing table files: sorted, compressed Parquet with statistics, bloom filters and page
//! CRC checksums, made visible only when complete.
//!
//! A file is written under a temporary name, fsynced, then renamed into place, and the folder
//! is fsynced: a reader sees the whole file or nothing, even if the writer is killed midway.
//! The temporary name `.<name>.tmp` is invisible to DataFusion 55 because its listing keeps
//! only names ending in the table's extension (`.parquet`), and to Spark, Hive and pyarrow
//! because they skip names starting with `.` or `_`. A writer dropped before
//! [`TableFileWriter::finish`] removes its temporary file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnWriter, ArrowRowGroupWriterFactory, ArrowWriterOptions, compute_leaves,
};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::column::page_store::PageStoreFactory;
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::SortingColumn;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::file::writer::SerializedFileWriter;
use datafusion::parquet::schema::types::ColumnPath;

use crate::data::page_checksums::{ChunkPages, checksummed_chunk};
use crate::data::schema::{PARTITION_COLUMN, TableDef};
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
///
/// Row groups are encoded by Arrow column writers and spliced with page CRC checksums (see
/// [`crate::data::page_checksums`]), which `ArrowWriter` cannot write.
pub struct TableFileWriter {
    /// `None` once finished; a writer dropped while it is `Some` was abandoned.
    writer: Option<SerializedFileWriter<File>>,
    factory: ArrowRowGroupWriterFactory,
    pages: Arc<ChunkPages>,
    /// The open row group's column writers and its rows so far.
    columns: Option<Vec<ArrowColumnWriter>>,
    buffered: usize,
    schema: SchemaRef,
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
        let parquet = |source| Error::Parquet {
            path: temp.clone(),
            source,
        };
        let pages = Arc::new(ChunkPages::default());
        // ArrowWriter converts the schema and embeds the Arrow schema; its file writer and
        // column-writer factory then do the rest one row group at a time.
        let options = ArrowWriterOptions::new()
            .with_properties(writer_properties(table))
            .with_page_store_factory(Arc::clone(&pages) as Arc<dyn PageStoreFactory>);
        let (writer, factory) =
            ArrowWriter::try_new_with_options(file, Arc::clone(&table.schema), options)
                .and_then(ArrowWriter::into_serialized_writer)
                .map_err(parquet)?;
        Ok(TableFileWriter {
            writer: Some(writer),
            factory,
            pages,
            columns: None,
            buffered: 0,
            schema: Arc::clone(&table.schema),
            temp,
            path,
            rows: 0,
        })
    }

    /// Appends rows (already in the table's sort order).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.write_rows(batch).map_err(|source| Error::Parquet {
            path: self.temp.clone(),
            source,
        })
    }

    fn write_rows(&mut self, batch: &RecordBatch) -> ParquetResult<()> {
        if self.writer.is_none() || batch.num_rows() == 0 {
            return Ok(());
        }
        let types = |schema: &SchemaRef| -> Vec<DataType> {
            schema
                .fields()
                .iter()
                .map(|f| f.data_type().clone())
                .collect()
        };
        if types(&batch.schema()) != types(&self.schema) {
            return Err(ParquetError::ArrowError(format!(
                "batch column types {:?} do not match the table's {:?}",
                types(&batch.schema()),
                types(&self.schema)
            )));
        }
        let room = ROW_GROUP_ROWS - self.buffered;
        if batch.num_rows() > room {
            self.write_rows(&batch.slice(0, room))?;
            return self.write_rows(&batch.slice(room, batch.num_rows() - room));
        }
        let columns = match &mut self.columns {
            Some(columns) => columns,
            none => {
                let index = self
                    .writer
                    .as_ref()
                    .map_or(0, |w| w.flushed_row_groups().len());
                none.insert(self.factory.create_column_writers(index)?)
            }
        };
        let mut writers = columns.iter_mut();
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            for leaf in compute_leaves(field, column)? {
                let writer = writers
                    .next()
                    .ok_or_else(|| ParquetError::General("more leaves than columns".into()))?;
                writer.write(&leaf)?;
            }
        }
        self.buffered += batch.num_rows();
        self.rows += batch.num_rows() as u64;
        if self.buffered >= ROW_GROUP_ROWS {
            self.flush_row_group()?;
        }
        Ok(())
    }

    /// Splices the open row group into the file, every page with its CRC.
    fn flush_row_group(&mut self) -> ParquetResult<()> {
        let (Some(columns), Some(writer)) = (self.columns.take(), self.writer.as_mut()) else {
            return Ok(());
        };
        self.buffered = 0;
        let mut group = writer.next_row_group()?;
        for (index, column) in columns.into_iter().enumerate() {
            let chunk = column.close()?;
            let (bytes, close) =
                checksummed_chunk(self.pages.take_column(index)?, chunk.close().clone())?;
            group.append_column(&bytes, close)?;
        }
        group.close()?;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Completes the file, syncs it and renames it into place; returns the final path.
    pub fn finish(mut self) -> Result<PathBuf> {
        let temp = self.temp.clone();
        let parquet = |source| Error::Parquet { path: temp, source };
        if let Err(source) = self.flush_row_group() {
            return Err(Error::Parquet {
                path: self.temp.clone(),
                source,
            });
        }
        let Some(writer) = self.writer.take() else {
            return Ok(self.path.clone());
        };
        let file = writer.into_inner().map_err(parquet)?;
        file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        drop(file);
        std::fs::rename(&self.temp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        if let Some(folder) = self.path.parent() {
            // The rename is durable only once the folder entry is on disk.
            File::open(folder)
                .and_then(|dir| dir.sync_all())
                .map_err(|e| Error::io(folder, e))?;
        }
        Ok(self.path.clone())
    }
}

impl Drop for TableFileWriter {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            // Abandoned (an error stopped the run): the partial file must not linger. Nothing
            // to report if it is already gone.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int32Array, StringArray};
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;
    use crate::data::schema::{AGENTS, SURVEYS};

    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn survey_batch() -> RecordBatch {
        use datafusion::arrow::array::TimestampMicrosecondArray;
        RecordBatch::try_new(
            Arc::clone(&SURVEYS.schema),
            vec![
                Arc::new(StringArray::from(vec![
                    "C20261005-000001",
                    "C20261005-000002",
                ])),
                Arc::new(TimestampMicrosecondArray::from(vec![1, 2]).with_timezone("UTC")),
                Arc::new(Int32Array::from(vec![5, 2])),
                Arc::new(Int32Array::from(vec![10, 3])),
                Arc::new(StringArray::from(vec![Some("good"), None])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_file_appears_only_when_finished() {
        let root = tempfile::tempdir().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 10, 5);
        let mut writer =
            TableFileWriter::create(root.path(), &SURVEYS, date, "part-0.parquet").unwrap();
        writer.write(&survey_batch()).unwrap();
        let folder = root.path().join("surveys/date=2026-10-05");
        assert_eq!(names(&folder), [".part-0.parquet.tmp"]);
        assert_eq!(writer.rows(), 2);
        let path = writer.finish().unwrap();
        assert_eq!(path, folder.join("part-0.parquet"));
        assert_eq!(names(&folder), ["part-0.parquet"]);
    }

    #[test]
    fn an_abandoned_file_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        let mut writer =
            TableFileWriter::create(root.path(), &AGENTS, None, "agents.parquet").unwrap();
        // A batch of the wrong table is refused and names the file.
        let err = writer.write(&survey_batch()).unwrap_err().to_string();
        assert!(err.contains(".agents.parquet.tmp"), "{err}");
        drop(writer);
        assert!(names(&root.path().join("agents")).is_empty());
    }

    /// A file of many row groups and dictionary pages reads back whole, every page's CRC
    /// checked (the reader verifies them: the `crc` feature), and a flipped data byte is
    /// caught by the CRC instead of decoding to other values.
    #[test]
    fn pages_carry_crc_checksums_the_reader_verifies() {
        use datafusion::arrow::array::{AsArray, TimestampMicrosecondArray};
        use datafusion::arrow::datatypes::Int32Type;
        use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let rows = 2 * ROW_GROUP_ROWS + 5;
        let ids: Vec<String> = (0..rows).map(|i| format!("C20261005-{i:06}")).collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&SURVEYS.schema),
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(
                    TimestampMicrosecondArray::from((0..rows as i64).collect::<Vec<_>>())
                        .with_timezone("UTC"),
                ),
                Arc::new(Int32Array::from_iter_values(
                    (0..rows).map(|i| (i % 5) as i32 + 1),
                )),
                Arc::new(Int32Array::from_iter_values(
                    (0..rows).map(|i| (i % 11) as i32),
                )),
                Arc::new(StringArray::from_iter((0..rows).map(|i| {
                    (i % 3 != 0).then_some(["good", "slow", "rude"][i % 3])
                }))),
            ],
        )
        .unwrap();
        let root = tempfile::tempdir().unwrap();
        let mut writer = TableFileWriter::create(root.path(), &SURVEYS, None, "s.parquet").unwrap();
        writer.write(&batch.slice(0, 1000)).unwrap();
        writer.write(&batch.slice(1000, rows - 1000)).unwrap();
        let path = writer.finish().unwrap();

        let file = File::open(&path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 3);
        let read: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
        let read = datafusion::arrow::compute::concat_batches(&batch.schema(), &read).unwrap();
        assert_eq!(read, batch);

        // Flip bytes in the middle of the csat column's first data page.
        let metadata = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let csat = metadata.metadata().row_group(0).column(2);
        let start = csat.data_page_offset() as usize;
        let end = start + csat.compressed_size() as usize;
        let mut bytes = std::fs::read(&path).unwrap();
        for byte in &mut bytes[end - 8..end - 4] {
            *byte ^= 0xff;
        }
        std::fs::write(&path, &bytes).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let err = reader
            .build()
            .unwrap()
            .map(|b| b.map(|b| b.column(2).as_primitive::<Int32Type>().len()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap_err();
        assert!(err.to_string().contains("CRC checksum mismatch"), "{err}");
    }

    #[test]
    fn metadata_declares_sort_order_statistics_and_bloom_filters() {
        let root = tempfile::tempdir().unwrap();
        let mut writer = TableFileWriter::create(
            root.path(),
            &SURVEYS,
            NaiveDate::from_ymd_opt(2026, 10, 5),
            "part-0.parquet",
        )
        .unwrap();
        writer.write(&survey_batch()).unwrap();
        let path = writer.finish().unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let metadata = reader.metadata();
        assert_eq!(
            metadata.file_metadata().created_by(),
            Some(format!("callqa {}", env!("CARGO_PKG_VERSION")).as_str())
        );
        let group = metadata.row_group(0);
        assert_eq!(
            group.sorting_columns().map(Vec::as_slice),
            Some(
                [SortingColumn {
                    column_idx: 0,
                    descending: false,
                    nulls_first: false
                }]
                .as_slice()
            )
        );
        let call_id = group.column(0);
        assert!(
            call_id.bloom_filter_offset().is_some(),
            "call_id bloom filter"
        );
        assert!(call_id.statistics().is_some());
        assert!(call_id.compression().to_string().starts_with("ZSTD"));
        assert!(
            group.column(2).bloom_filter_offset().is_none(),
            "csat has none"
        );
    }
}
