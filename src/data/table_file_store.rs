//! The object store table scans of a local data root go through (`file://`): the local file
//! system, with two guards on what a table folder lists.
//!
//! - **An ingest run is all or nothing for readers.** A committed run renames its files into
//!   the table folders one by one ([`crate::ingest::staging`]); until the last rename its
//!   commit marker `_ingest/<run>.commit` names them all. A listing hides every file named
//!   by a marker, read both before and after the folder is listed, so a query sees a run
//!   either not at all or whole, never calls without their utterances. (Only a run whose
//!   commit, renames and cleanup all fall inside one directory listing could slip through;
//!   on a local disk that is a window of microseconds against milliseconds of fsyncs.)
//! - **A file of another table is refused, never read as rows of NULLs.** DataFusion maps a
//!   file's columns onto the table's by name and fills missing ones with NULL, so a
//!   `surveys` file dropped into `calls/` would add calls with no start, agent or outcome.
//!   A listed `.parquet` file lacking any of its table's columns fails the listing with an
//!   error naming the file and the missing columns; queries on that table fail until the
//!   file is moved out (the other tables keep serving), exactly as for an unreadable file.
//!   Each file's footer is read once per (size, modification time).
//! - **A corrupt page fails the query naming the file.** Column chunks and pages read from
//!   a listed table file have their page CRCs checked here (see [`crate::data::page_checksums`]):
//!   the parquet reader checks them too, but its error does not say which file it read.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::parquet::errors::ParquetError;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};

use crate::data::page_checksums;
use crate::data::schema::{STAGING_DIR, TableDef, all_tables};

/// The `file://` store of a local data root; see the module documentation.
#[derive(Debug, Clone)]
pub struct TableFileStore {
    shared: Arc<Shared>,
}

/// A file's footer check: (size, modified in ms, chunks or problem).
type Checked = (u64, i64, Result<Vec<Range<u64>>, String>);

#[derive(Debug)]
struct Shared {
    fs: LocalFileSystem,
    root: PathBuf,
    /// The root as object-store path prefixes (as given, and canonical if different).
    prefixes: Vec<String>,
    /// Footer checks by file: (size, modified in ms) → its column chunks' byte ranges, or
    /// why it is no file of its table.
    checked: Mutex<HashMap<String, Checked>>,
}

impl std::fmt::Display for TableFileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TableFileStore({})", self.shared.root.display())
    }
}

impl TableFileStore {
    /// The store for the local data root `root` (an absolute path).
    pub fn new(root: &Path) -> Self {
        let mut prefixes = Vec::new();
        for dir in [Some(root.to_path_buf()), std::fs::canonicalize(root).ok()]
            .into_iter()
            .flatten()
        {
            if let Ok(path) = ObjectPath::from_absolute_path(&dir) {
                let prefix = format!("{}/", path.as_ref());
                if !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
            }
        }
        TableFileStore {
            shared: Arc::new(Shared {
                fs: LocalFileSystem::new(),
                root: root.to_path_buf(),
                prefixes,
                checked: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl Shared {
    /// Files (relative to the root) named by the commit marker of a run not yet finished.
    fn unfinished_run_files(&self) -> HashSet<String> {
        let staging = self.root.join(STAGING_DIR);
        let Ok(entries) = std::fs::read_dir(&staging) else {
            return HashSet::new();
        };
        let mut files = HashSet::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().ends_with(".commit") {
                continue;
            }
            // Gone since the directory was read: that run has finished.
            if let Ok(list) = std::fs::read_to_string(entry.path()) {
                files.extend(list.lines().map(str::to_owned));
            }
        }
        files
    }

    /// The path of `location` relative to the data root, if it is below it.
    fn relative<'a>(&self, location: &'a ObjectPath) -> Option<&'a str> {
        self.prefixes
            .iter()
            .find_map(|prefix| location.as_ref().strip_prefix(prefix.as_str()))
    }

    /// Drops files of unfinished runs; fails on a table file lacking its table's columns.
    fn keep(
        &self,
        objects: Vec<ObjectMeta>,
        hidden: &HashSet<String>,
    ) -> object_store::Result<Vec<ObjectMeta>> {
        let mut kept = Vec::with_capacity(objects.len());
        for meta in objects {
            let Some(relative) = self.relative(&meta.location) else {
                kept.push(meta);
                continue;
            };
            if hidden.contains(relative) {
                continue;
            }
            if let Some(table) = table_of(relative) {
                self.check_columns(table, relative, &meta)?;
            }
            kept.push(meta);
        }
        Ok(kept)
    }

    fn check_columns(
        &self,
        table: &TableDef,
        relative: &str,
        meta: &ObjectMeta,
    ) -> object_store::Result<()> {
        match self.footer(table, relative, meta) {
            Err(reason) => Err(object_store::Error::Generic {
                store: "callqa",
                source: format!("{}: {reason}", self.root.join(relative).display()).into(),
            }),
            Ok(_) => Ok(()),
        }
    }

    /// The checked footer of a listed table file (read once per size and modification time).
    fn footer(
        &self,
        table: &TableDef,
        relative: &str,
        meta: &ObjectMeta,
    ) -> Result<Vec<Range<u64>>, String> {
        let key = (meta.size, meta.last_modified.timestamp_millis());
        let cached = self
            .checked
            .lock()
            .ok()
            .and_then(|checked| checked.get(relative).cloned())
            .filter(|(size, modified, _)| (*size, *modified) == key);
        if let Some((_, _, footer)) = cached {
            return footer;
        }
        let footer = read_table_footer(table, &self.root.join(relative)).map(|(_, chunks)| chunks);
        if let Ok(mut checked) = self.checked.lock() {
            checked.insert(relative.to_owned(), (key.0, key.1, footer.clone()));
        }
        footer
    }

    /// The column chunks of a table file already listed, if its footer was read.
    fn chunks_of(&self, location: &ObjectPath) -> Option<Vec<Range<u64>>> {
        let relative = self.relative(location)?;
        let checked = self.checked.lock().ok()?;
        checked.get(relative)?.2.clone().ok()
    }

    /// Verifies the page CRCs of bytes read at `range` of a table file, when they start at
    /// a column chunk or one of its pages; the error names the file. The parquet reader
    /// checks the same CRCs but its error does not say which file failed.
    fn verify(
        &self,
        location: &ObjectPath,
        range: &Range<u64>,
        bytes: &[u8],
    ) -> object_store::Result<()> {
        let Some(chunks) = self.chunks_of(location) else {
            return Ok(());
        };
        if !chunks.iter().any(|chunk| chunk.contains(&range.start)) {
            return Ok(());
        }
        page_checksums::verify_pages(bytes, range.start).map_err(|reason| {
            let file = self.relative(location).map_or_else(
                || location.to_string(),
                |r| self.root.join(r).display().to_string(),
            );
            object_store::Error::Generic {
                store: "callqa",
                source: Box::new(ParquetError::General(format!("{file}: {reason}"))),
            }
        })
    }
}

/// The table whose folder holds `relative` (a visible `.parquet` file), if any.
fn table_of(relative: &str) -> Option<&'static TableDef> {
    let mut parts = relative.split('/');
    let folder = parts.next()?;
    let hidden = relative
        .split('/')
        .any(|part| part.starts_with('.') || part.starts_with('_'));
    if hidden || !relative.ends_with(".parquet") || parts.next().is_none() {
        return None;
    }
    all_tables().into_iter().find(|table| table.name == folder)
}

/// The rows of the file at `path` as a file of `table`, from its footer; the error says why
/// it cannot serve: an unreadable footer, or columns of the table it lacks.
pub(crate) fn table_file_rows(table: &TableDef, path: &Path) -> Result<u64, String> {
    read_table_footer(table, path).map(|(rows, _)| rows)
}

/// [`table_file_rows`], with the byte ranges of the file's column chunks.
fn read_table_footer(table: &TableDef, path: &Path) -> Result<(u64, Vec<Range<u64>>), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let metadata = datafusion::parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| e.to_string())?;
    let schema = metadata.file_metadata().schema_descr();
    let present: HashSet<&str> = schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|field| field.name())
        .collect();
    let missing: Vec<&str> = table
        .schema
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .filter(|name| !present.contains(name))
        .collect();
    if !missing.is_empty() {
        let mut columns: Vec<&str> = present.into_iter().collect();
        columns.sort_unstable();
        return Err(format!(
            "not a file of table {}: it lacks the column(s) {} (its columns: {}); move it \
             out of the {} folder",
            table.name,
            missing.join(", "),
            columns.join(", "),
            table.name
        ));
    }
    let chunks = metadata
        .row_groups()
        .iter()
        .flat_map(|group| group.columns())
        .filter_map(|chunk| {
            let (start, len) = chunk.byte_range();
            Some(start..start.checked_add(len)?)
        })
        .collect();
    Ok((
        metadata.file_metadata().num_rows().max(0).unsigned_abs(),
        chunks,
    ))
}

#[async_trait]
impl ObjectStore for TableFileStore {
    async fn put_opts(
        &self,
        location: &ObjectPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.shared.fs.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &ObjectPath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.shared.fs.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &ObjectPath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let bounded = matches!(options.range, Some(GetRange::Bounded(_)));
        let result = self.shared.fs.get_opts(location, options).await?;
        if !bounded || self.shared.chunks_of(location).is_none() {
            return Ok(result);
        }
        let (meta, range, attributes) = (
            result.meta.clone(),
            result.range.clone(),
            result.attributes.clone(),
        );
        let bytes = result.bytes().await?;
        self.shared.verify(location, &range, &bytes)?;
        Ok(GetResult {
            payload: GetResultPayload::Stream(
                futures::stream::once(async move { Ok(bytes) }).boxed(),
            ),
            meta,
            range,
            attributes,
        })
    }

    async fn get_ranges(
        &self,
        location: &ObjectPath,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        let fetched = self.shared.fs.get_ranges(location, ranges).await?;
        for (range, bytes) in ranges.iter().zip(&fetched) {
            self.shared.verify(location, range, bytes)?;
        }
        Ok(fetched)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<ObjectPath>>,
    ) -> BoxStream<'static, object_store::Result<ObjectPath>> {
        self.shared.fs.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let shared = Arc::clone(&self.shared);
        let mut hidden = shared.unfinished_run_files();
        let listing = shared.fs.list(prefix);
        futures::stream::once(async move {
            let objects: Vec<ObjectMeta> = listing.try_collect().await?;
            hidden.extend(shared.unfinished_run_files());
            let kept = shared.keep(objects, &hidden)?;
            Ok::<_, object_store::Error>(futures::stream::iter(kept.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> object_store::Result<ListResult> {
        let mut hidden = self.shared.unfinished_run_files();
        let mut result = self.shared.fs.list_with_delimiter(prefix).await?;
        hidden.extend(self.shared.unfinished_run_files());
        result.objects = self.shared.keep(result.objects, &hidden)?;
        Ok(result)
    }

    async fn copy_opts(
        &self,
        from: &ObjectPath,
        to: &ObjectPath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.shared.fs.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &ObjectPath,
        to: &ObjectPath,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.shared.fs.rename_opts(from, to, options).await
    }
}
