//! Registers the tables of a data root (DESIGN.md section 3) as Parquet listing tables.
//!
//! The schema of every table is fixed by [`crate::schema`], never inferred from the files, so
//! a missing folder is an empty table and a stray file with other columns cannot change what
//! clients see. Files are listed per query, so new files are visible without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::parquet::file::metadata::ParquetMetaDataReader;
use datafusion::prelude::{SessionContext, col};

use crate::schema::{PARTITION_COLUMN, TableDef, all_tables};
use crate::{Error, Result};

/// A data root: where the table folders live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRoot {
    dir: PathBuf,
}

impl DataRoot {
    /// Opens a data root given as a local directory path; it must exist.
    pub fn open(root: &str) -> Result<Self> {
        let dir = PathBuf::from(root);
        if root.contains("://") && !root.starts_with("file://") {
            return Err(Error::DataRoot {
                root: root.to_owned(),
                reason: "only local directories are supported so far".to_owned(),
            });
        }
        let dir = match root.strip_prefix("file://") {
            Some(path) => PathBuf::from(path),
            None => dir,
        };
        let metadata = std::fs::metadata(&dir).map_err(|e| Error::DataRoot {
            root: root.to_owned(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such directory".to_owned(),
                _ => e.to_string(),
            },
        })?;
        if !metadata.is_dir() {
            return Err(Error::DataRoot {
                root: root.to_owned(),
                reason: "not a directory".to_owned(),
            });
        }
        let dir = std::path::absolute(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(DataRoot { dir })
    }

    /// The directory of the data root.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of one table.
    pub fn table_dir(&self, table: &TableDef) -> PathBuf {
        self.dir.join(table.name)
    }
}

/// What start-up found in one table folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    /// Table name.
    pub name: &'static str,
    /// Rows in the readable files, from the Parquet footers.
    pub rows: u64,
    /// Readable Parquet files.
    pub files: usize,
    /// Files whose footer could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Whether the table folder exists at all.
    pub folder_exists: bool,
}

/// Registers every table of `root` in `ctx` and returns what was found in each.
///
/// An unreadable file is reported in its table's summary (and logged by name) but does not
/// stop the other tables: queries that touch it fail, the rest keep serving.
pub async fn register_tables(ctx: &SessionContext, root: &DataRoot) -> Result<Vec<TableSummary>> {
    let mut summaries = Vec::new();
    for table in all_tables() {
        let dir = root.table_dir(table);
        ctx.register_table(table.name, listing_table(table, &dir)?)?;
        let summary = summarize(table, &dir);
        for (path, reason) in &summary.unreadable {
            tracing::warn!(table = table.name, file = %path.display(), %reason, "unreadable Parquet file");
        }
        summaries.push(summary);
    }
    Ok(summaries)
}

fn listing_table(table: &TableDef, dir: &Path) -> Result<Arc<ListingTable>> {
    let mut url = dir.display().to_string();
    if !url.ends_with('/') {
        url.push('/'); // a trailing slash makes it a folder to list, not a single file
    }
    let url = ListingTableUrl::parse(&url)?;
    let sort_order = vec![
        table
            .sort_key
            .iter()
            .map(|column| col(*column).sort(true, false))
            .collect(),
    ];
    let mut options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_file_sort_order(sort_order);
    if table.partitioned_by_date {
        options = options
            .with_table_partition_cols(vec![(PARTITION_COLUMN.to_owned(), DataType::Date32)]);
    }
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(Arc::clone(&table.schema));
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// Counts rows from the footers of every visible Parquet file of a table folder.
fn summarize(table: &'static TableDef, dir: &Path) -> TableSummary {
    let mut summary = TableSummary {
        name: table.name,
        rows: 0,
        files: 0,
        unreadable: Vec::new(),
        folder_exists: dir.is_dir(),
    };
    let mut files = Vec::new();
    if let Err((path, e)) = visible_parquet_files(dir, &mut files) {
        summary.unreadable.push((path, e.to_string()));
    }
    for file in files {
        match footer_rows(&file) {
            Ok(rows) => {
                summary.rows += rows;
                summary.files += 1;
            }
            Err(reason) => summary.unreadable.push((file, reason)),
        }
    }
    summary
}

/// Collects `*.parquet` files below `dir`, skipping hidden and temporary entries (`.x`, `_x`)
/// the way DataFusion's listing does.
pub(crate) fn visible_parquet_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
) -> std::result::Result<(), (PathBuf, std::io::Error)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err((dir.to_path_buf(), e)),
    };
    let mut entries: Vec<_> = entries
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| (dir.to_path_buf(), e))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            visible_parquet_files(&path, out)?;
        } else if name.ends_with(".parquet") {
            out.push(path);
        }
    }
    Ok(())
}

fn footer_rows(path: &Path) -> std::result::Result<u64, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| e.to_string())?;
    Ok(metadata.file_metadata().num_rows().max(0).unsigned_abs())
}
