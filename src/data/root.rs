//! The data root and its tables: each table folder (hive-partitioned by `date=` where the
//! table has one) registered as a Parquet listing table.
//!
//! The schema of every table is fixed by [`crate::data::schema`], never inferred from the files, so
//! a missing folder is an empty table and a stray file with other columns cannot change what
//! clients see. Files are listed per query, so new files are visible without a restart. A
//! data root in object storage (`s3://bucket/prefix`) is registered in DataFusion's runtime
//! and its table folders are listed the same way.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::{SessionContext, col};

use crate::data::object_store_root::{ObjectRoot, ObjectStoreSettings, is_object_store_url};
use crate::data::schema::{PARTITION_COLUMN, TableDef, all_tables};
use crate::data::table_file_store::{TableFileStore, table_file_rows};
use crate::{Error, Result};

/// A data root: where the table folders live, a local directory or an `s3://` prefix.
#[derive(Debug, Clone)]
pub struct DataRoot {
    location: Location,
}

#[derive(Debug, Clone)]
enum Location {
    Local(PathBuf),
    ObjectStore(Box<ObjectRoot>),
}

impl DataRoot {
    /// Opens a data root: a local directory (which must exist) or `s3://bucket/prefix`
    /// (configured from the environment and probed, see [`crate::data::object_store_root`]).
    pub async fn open(root: &str, settings: &ObjectStoreSettings) -> Result<Self> {
        if is_object_store_url(root) {
            let store = ObjectRoot::open(root, settings).await?;
            return Ok(DataRoot {
                location: Location::ObjectStore(Box::new(store)),
            });
        }
        Self::open_local(root)
    }

    /// Opens a data root given as a local directory path; it must exist.
    pub fn open_local(root: &str) -> Result<Self> {
        let dir = PathBuf::from(root);
        if root.contains("://") && !root.starts_with("file://") {
            return Err(Error::DataRoot {
                root: root.to_owned(),
                reason: "only local directories and s3:// URLs are supported".to_owned(),
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
        Ok(DataRoot {
            location: Location::Local(dir),
        })
    }

    /// The directory of a local data root; `None` for object storage.
    pub fn dir(&self) -> Option<&Path> {
        match &self.location {
            Location::Local(dir) => Some(dir),
            Location::ObjectStore(_) => None,
        }
    }

    /// The object-store root; `None` for a local directory.
    pub fn object_store(&self) -> Option<&ObjectRoot> {
        match &self.location {
            Location::Local(_) => None,
            Location::ObjectStore(store) => Some(store),
        }
    }
}

impl std::fmt::Display for DataRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Location::Local(dir) => write!(f, "{}", dir.display()),
            Location::ObjectStore(store) => f.write_str(store.url()),
        }
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
    /// Bytes of the readable files (what `pg_table_size` reports).
    pub bytes: u64,
    /// Files (local paths, or `s3://` URLs) whose footer could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Whether the table folder exists at all.
    pub folder_exists: bool,
}

/// Registers every table of `root` in `ctx` and returns what was found in each.
///
/// An unreadable file is reported in its table's summary (and logged by name) but does not
/// stop the other tables: queries that touch it fail, the rest keep serving.
pub async fn register_tables(ctx: &SessionContext, root: &DataRoot) -> Result<Vec<TableSummary>> {
    if let Some(store) = root.object_store() {
        ctx.register_object_store(&store.store_url()?, Arc::clone(store.store()));
    }
    if let Location::Local(dir) = &root.location {
        ctx.register_object_store(
            ObjectStoreUrl::local_filesystem().as_ref(),
            Arc::new(TableFileStore::new(dir)),
        );
    }
    let mut summaries = Vec::new();
    for table in all_tables() {
        let summary = match &root.location {
            Location::Local(dir) => {
                let dir = dir.join(table.name);
                ctx.register_table(
                    table.name,
                    listing_table(table, &dir.display().to_string())?,
                )?;
                summarize(table, &dir)
            }
            Location::ObjectStore(store) => {
                let url = store.folder_url(table.name);
                ctx.register_table(table.name, listing_table(table, &url)?)?;
                summarize_objects(table, store).await
            }
        };
        for (path, reason) in &summary.unreadable {
            tracing::warn!(table = table.name, file = %path.display(), %reason, "unreadable Parquet file");
        }
        summaries.push(summary);
    }
    Ok(summaries)
}

fn listing_table(table: &TableDef, folder: &str) -> Result<Arc<ListingTable>> {
    let mut url = folder.to_owned();
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
        .with_schema(read_as_views(&table.schema));
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// The scan schema of a table: text columns decode as `Utf8View`, which points into the
/// Parquet pages instead of copying every string (a quarter off the transcript and audio
/// scans). The files themselves keep plain strings.
fn read_as_views(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8 => field.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => field.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The Parquet files of a local data root whose footer cannot be read now, with the reason
/// (object-store roots: none checked). Used to name the file behind a failing query.
pub fn unreadable_local_files(root: &DataRoot) -> Vec<(PathBuf, String)> {
    let Location::Local(dir) = &root.location else {
        return Vec::new();
    };
    all_tables()
        .into_iter()
        .flat_map(|table| summarize(table, &dir.join(table.name)).unreadable)
        .collect()
}

/// Counts rows from the footers of every visible Parquet file of a table folder.
fn summarize(table: &'static TableDef, dir: &Path) -> TableSummary {
    let mut summary = TableSummary {
        name: table.name,
        rows: 0,
        files: 0,
        bytes: 0,
        unreadable: Vec::new(),
        folder_exists: dir.is_dir(),
    };
    let mut files = Vec::new();
    if let Err((path, e)) = visible_parquet_files(dir, &mut files) {
        summary.unreadable.push((path, e.to_string()));
    }
    for file in files {
        match table_file_rows(table, &file) {
            Ok(rows) => {
                summary.rows += rows;
                summary.files += 1;
                summary.bytes += std::fs::metadata(&file).map_or(0, |m| m.len());
            }
            Err(reason) => summary.unreadable.push((file, reason)),
        }
    }
    summary
}

/// Counts rows from the footers of every visible Parquet object of a table folder in
/// object storage, a few footers at a time.
async fn summarize_objects(table: &'static TableDef, root: &ObjectRoot) -> TableSummary {
    use futures::StreamExt;
    let mut summary = TableSummary {
        name: table.name,
        rows: 0,
        files: 0,
        bytes: 0,
        unreadable: Vec::new(),
        folder_exists: false,
    };
    let objects = match root.visible_parquet(root.store(), table.name).await {
        Ok(objects) => objects,
        Err(reason) => {
            summary
                .unreadable
                .push((PathBuf::from(root.folder_url(table.name)), reason));
            return summary;
        }
    };
    summary.folder_exists = !objects.is_empty();
    let footers: Vec<_> = futures::stream::iter(objects)
        .map(|meta| async move {
            let rows = root.footer_rows(&meta).await;
            (meta, rows)
        })
        .buffered(8)
        .collect()
        .await;
    for (meta, rows) in footers {
        match rows {
            Ok(rows) => {
                summary.rows += rows;
                summary.files += 1;
                summary.bytes += meta.size;
            }
            Err(reason) => summary
                .unreadable
                .push((PathBuf::from(root.location(&meta.location)), reason)),
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

/// Hash of (path, length, modification time, inode) of every visible Parquet file of every
/// table folder under `dir`: the files DataFusion's listing would read.
pub fn files_fingerprint(dir: &Path) -> Option<u64> {
    let mut hasher = DefaultHasher::new();
    for table in all_tables() {
        let mut files = Vec::new();
        visible_parquet_files(&dir.join(table.name), &mut files).ok()?;
        for file in files {
            let metadata = std::fs::metadata(&file).ok()?;
            file.hash(&mut hasher);
            metadata.len().hash(&mut hasher);
            metadata.modified().ok().hash(&mut hasher);
            // A file replaced by rename (how `ingest` writes) is a new inode even when its
            // size and modification time happen to match the old one.
            #[cfg(unix)]
            std::os::unix::fs::MetadataExt::ino(&metadata).hash(&mut hasher);
        }
    }
    Some(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_added_and_rewritten_files() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("agents");
        std::fs::create_dir_all(&folder).unwrap();
        let empty = files_fingerprint(dir.path()).unwrap();
        std::fs::write(folder.join("a.parquet"), b"one").unwrap();
        let one = files_fingerprint(dir.path()).unwrap();
        assert_ne!(empty, one);
        std::fs::write(folder.join(".hidden.parquet.tmp"), b"x").unwrap();
        assert_eq!(files_fingerprint(dir.path()).unwrap(), one);
        std::fs::write(folder.join("a.parquet"), b"three").unwrap();
        assert_ne!(files_fingerprint(dir.path()).unwrap(), one);
    }
}
