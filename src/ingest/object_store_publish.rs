//! Publishing an ingest run to a data root in object storage (`s3://bucket/prefix`).
//!
//! The run is staged in a local temporary folder exactly as for a local root (sorted Parquet
//! files written by [`crate::data::parquet_files::TableFileWriter`]), then published with a commit
//! protocol equivalent to [`super::staging`]:
//!
//! 1. every file is uploaded to `<prefix>/_ingest/<run>/<table>/date=…/<name>.parquet`
//!    (multipart for large files); no table lists `_ingest/`;
//! 2. `<prefix>/_ingest/<run>.commit`, the list of the run's files, is written: from that
//!    moment the run is committed;
//! 3. each file is copied to its final key `<prefix>/<table>/date=…/<name>.parquet`, then the
//!    staged objects and the commit marker are deleted.
//!
//! The next run first finishes committed runs (step 3) and deletes the staged objects of
//! uncommitted ones. S3 has no atomic multi-object rename, so during step 3 the run becomes
//! visible object by object; a reader never sees a partial *file*, and a killed run is
//! completed by the next one. One run per prefix at a time holds `<prefix>/_ingest/lock`,
//! created with a conditional PUT (`If-None-Match: *`); a lock older than [`LOCK_STALE`] is
//! taken as left by a killed run.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion, WriteMultipart,
};

use super::staging::{Recovered, Run};
use super::{IngestOptions, IngestSummary};
use crate::data::object_store_root::{
    ObjectReader, ObjectRoot, ObjectStoreSettings, on_own_runtime,
};
use crate::data::schema::STAGING_DIR;
use crate::data::schema::{AGENTS, CALLS, TableDef};
use crate::{Error, Result};

/// A lock object older than this is taken as left by a killed run.
pub const LOCK_STALE: Duration = Duration::from_secs(60 * 60);

/// Files up to this size are uploaded with one PUT; larger ones as multipart uploads.
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;

/// Part size of multipart uploads (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;

const LOCK: &str = "lock";
const COMMIT_SUFFIX: &str = ".commit";

/// Runs an ingest into an object-store data root.
pub(crate) fn ingest(
    url: &str,
    opts: &IngestOptions,
    settings: &ObjectStoreSettings,
) -> Result<IngestSummary> {
    on_own_runtime(|runtime| {
        let root = runtime.block_on(ObjectRoot::open(url, settings))?;
        let id = format!(
            "{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            std::process::id()
        );
        runtime.block_on(acquire_lock(&root, &id))?;
        let result = run(runtime, &root, &id, opts);
        let released = runtime.block_on(release_lock(&root));
        let summary = result?;
        released?;
        Ok(summary)
    })
}

fn run(
    runtime: &tokio::runtime::Runtime,
    root: &ObjectRoot,
    id: &str,
    opts: &IngestOptions,
) -> Result<IngestSummary> {
    let recovered = runtime.block_on(recover(root))?;
    let known_calls = runtime.block_on(existing_ids(root, &CALLS, "call_id"))?;
    let known_agents = runtime.block_on(existing_ids(root, &AGENTS, "agent_id"))?;
    let local = LocalStaging::create(id)?;
    let (local_run, _) = Run::begin(local.path())?;
    let mut summary = super::stage(opts, local_run, known_calls, known_agents)?;
    let mut files = Vec::new();
    for path in &summary.files {
        let relative = path
            .strip_prefix(local.path())
            .map_err(|_| Error::Internal {
                what: "staged file".to_owned(),
                reason: format!("{} is outside {}", path.display(), local.path().display()),
            })?;
        let parts: Vec<_> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        files.push(parts.join("/"));
    }
    if !files.is_empty() {
        // Refresh the lock before the long part, so no one takes it for a stale one.
        runtime.block_on(write_lock(root, id, PutMode::Overwrite))?;
        runtime.block_on(publish(root, id, local.path(), &files))?;
    }
    summary.files = files
        .iter()
        .map(|f| PathBuf::from(root.location(&root.key(f))))
        .collect();
    summary.recovered = recovered;
    Ok(summary)
}

/// The local folder a run is staged in; removed when dropped.
#[derive(Debug)]
struct LocalStaging(PathBuf);

impl LocalStaging {
    fn create(id: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("callqa-ingest-{id}"));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(LocalStaging(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for LocalStaging {
    fn drop(&mut self) {
        // Temporary files only; nothing to report if they are already gone.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn store_error(root: &ObjectRoot, key: &ObjectPath, e: &object_store::Error) -> Error {
    Error::DataRoot {
        root: root.url().to_owned(),
        reason: format!("{}: {}", root.location(key), root.explain(e)),
    }
}

fn staged_key(root: &ObjectRoot, id: &str, relative: &str) -> ObjectPath {
    root.key(&format!("{STAGING_DIR}/{id}/{relative}"))
}

fn commit_key(root: &ObjectRoot, id: &str) -> ObjectPath {
    root.key(&format!("{STAGING_DIR}/{id}{COMMIT_SUFFIX}"))
}

/// Uploads, commits and copies one run's files (relative keys like
/// `calls/date=2026-10-05/part-….parquet`, found under `local`).
async fn publish(root: &ObjectRoot, id: &str, local: &Path, files: &[String]) -> Result<()> {
    let store = root.store();
    for file in files {
        let key = staged_key(root, id, file);
        upload_file(store, &local.join(file), &key)
            .await
            .map_err(|e| match e {
                Upload::Read(e) => Error::io(local.join(file), e),
                Upload::Store(e) => store_error(root, &key, &e),
            })?;
    }
    let mut list = String::new();
    for file in files {
        list.push_str(file);
        list.push('\n');
    }
    let commit = commit_key(root, id);
    store
        .put(&commit, PutPayload::from(list.into_bytes()))
        .await
        .map_err(|e| store_error(root, &commit, &e))?;
    // Committed: from here on, an error leaves the rest to the next run's recovery.
    finish_committed(root, id, files).await
}

/// Why an upload failed.
#[derive(Debug)]
pub enum Upload {
    /// The local file could not be read.
    Read(std::io::Error),
    /// The object store refused or failed.
    Store(object_store::Error),
}

impl std::fmt::Display for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upload::Read(e) => write!(f, "{e}"),
            Upload::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Uploads a local file to `key`: one PUT up to [`MULTIPART_THRESHOLD`], a multipart upload
/// (parts of 8 MiB, a few in flight) above it; an object appears only when complete.
pub async fn upload_file(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    key: &ObjectPath,
) -> std::result::Result<(), Upload> {
    let size = std::fs::metadata(path).map_err(Upload::Read)?.len();
    if size <= MULTIPART_THRESHOLD {
        let bytes = std::fs::read(path).map_err(Upload::Read)?;
        store
            .put(key, PutPayload::from(bytes))
            .await
            .map_err(Upload::Store)?;
        return Ok(());
    }
    let upload = store.put_multipart(key).await.map_err(Upload::Store)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
    let mut file = std::fs::File::open(path).map_err(Upload::Read)?;
    let mut buffer = vec![0u8; PART_SIZE];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = writer.abort().await; // best effort: the read error is what matters
                return Err(Upload::Read(e));
            }
        };
        if let Err(e) = writer.wait_for_capacity(4).await {
            return Err(Upload::Store(e));
        }
        writer.write(&buffer[..read]);
    }
    writer.finish().await.map_err(Upload::Store)?;
    Ok(())
}

/// Copies a committed run's staged files to their final keys (skipping those already
/// copied), then deletes the staged objects and the commit marker.
async fn finish_committed(root: &ObjectRoot, id: &str, files: &[String]) -> Result<()> {
    let store = root.store();
    for file in files {
        let staged = staged_key(root, id, file);
        let target = root.key(file);
        match store.copy(&staged, &target).await {
            Ok(()) => {}
            Err(object_store::Error::NotFound { .. }) => {
                // Copied and deleted before an interruption: the final object must be there.
                store
                    .head(&target)
                    .await
                    .map_err(|e| store_error(root, &target, &e))?;
            }
            Err(e) => return Err(store_error(root, &target, &e)),
        }
    }
    for file in files {
        let staged = staged_key(root, id, file);
        delete_if_present(root, &staged).await?;
    }
    delete_if_present(root, &commit_key(root, id)).await
}

async fn delete_if_present(root: &ObjectRoot, key: &ObjectPath) -> Result<()> {
    match root.store().delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(store_error(root, key, &e)),
    }
}

/// Finishes committed runs and deletes the staged objects of uncommitted ones (the caller
/// holds the lock).
async fn recover(root: &ObjectRoot) -> Result<Recovered> {
    let store = root.store();
    let base = root.key(STAGING_DIR);
    let objects = root
        .list(store, STAGING_DIR)
        .await
        .map_err(|reason| Error::DataRoot {
            root: root.url().to_owned(),
            reason,
        })?;
    let mut commits = BTreeSet::new();
    let mut runs: BTreeMap<String, Vec<ObjectPath>> = BTreeMap::new();
    for meta in objects {
        let Some(parts) = meta.location.prefix_match(&base) else {
            continue;
        };
        let parts: Vec<String> = parts.map(|p| p.as_ref().to_owned()).collect();
        match parts.as_slice() {
            [name] => {
                if let Some(id) = name.strip_suffix(COMMIT_SUFFIX) {
                    commits.insert(id.to_owned());
                }
            }
            [id, ..] => runs.entry(id.clone()).or_default().push(meta.location),
            [] => {}
        }
    }
    let mut recovered = Recovered::default();
    for id in &commits {
        let marker = commit_key(root, id);
        let list = async { store.get(&marker).await?.bytes().await };
        let list = list.await.map_err(|e| store_error(root, &marker, &e))?;
        let list = String::from_utf8_lossy(&list);
        let files: Vec<String> = list
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        finish_committed(root, id, &files).await?;
        // Anything else left under the run's folder.
        for key in runs.remove(id).unwrap_or_default() {
            delete_if_present(root, &key).await?;
        }
        recovered.completed_runs += 1;
        tracing::info!(run = %id, files = files.len(), "finished an interrupted ingest");
    }
    for (id, keys) in runs {
        for key in keys {
            delete_if_present(root, &key).await?;
        }
        recovered.discarded_runs += 1;
        tracing::info!(run = %id, "discarded an interrupted ingest");
    }
    Ok(recovered)
}

fn lock_body(id: &str) -> PutPayload {
    PutPayload::from(format!(
        "run {id}\npid {}\nwritten {}\n",
        std::process::id(),
        chrono::Utc::now().to_rfc3339()
    ))
}

async fn write_lock(root: &ObjectRoot, id: &str, mode: PutMode) -> Result<()> {
    let key = root.key(&format!("{STAGING_DIR}/{LOCK}"));
    root.store()
        .put_opts(
            &key,
            lock_body(id),
            PutOptions {
                mode,
                ..PutOptions::default()
            },
        )
        .await
        .map(|_| ())
        .map_err(|e| store_error(root, &key, &e))
}

/// Creates `_ingest/lock` if no one holds it (conditional PUT); takes over a stale one.
async fn acquire_lock(root: &ObjectRoot, id: &str) -> Result<()> {
    let key = root.key(&format!("{STAGING_DIR}/{LOCK}"));
    let store = root.store();
    let create = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    let held = match store.put_opts(&key, lock_body(id), create).await {
        Ok(_) => return Ok(()),
        Err(
            object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. },
        ) => store
            .head(&key)
            .await
            .map_err(|e| store_error(root, &key, &e))?,
        Err(e) => return Err(store_error(root, &key, &e)),
    };
    let age = (chrono::Utc::now() - held.last_modified)
        .to_std()
        .unwrap_or_default();
    let busy = || Error::DataRoot {
        root: root.url().to_string(),
        reason: format!(
            "another ingest is running on {} (it holds {}, written {} s ago); if none is \
             running, delete that object",
            root.url(),
            root.location(&key),
            age.as_secs()
        ),
    };
    if age < LOCK_STALE {
        return Err(busy());
    }
    // Stale: replace it only if it is still the same object, so two runs cannot both win.
    let take_over = PutOptions {
        mode: PutMode::Update(UpdateVersion {
            e_tag: held.e_tag.clone(),
            version: held.version.clone(),
        }),
        ..PutOptions::default()
    };
    match store.put_opts(&key, lock_body(id), take_over).await {
        Ok(_) => {
            tracing::warn!(lock = %root.location(&key), age_s = age.as_secs(), "took over a stale ingest lock");
            Ok(())
        }
        Err(
            object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. },
        ) => Err(busy()),
        Err(e) => Err(store_error(root, &key, &e)),
    }
}

async fn release_lock(root: &ObjectRoot) -> Result<()> {
    delete_if_present(root, &root.key(&format!("{STAGING_DIR}/{LOCK}"))).await
}

/// The ids already in a table's visible objects (the one column read from each).
async fn existing_ids(
    root: &ObjectRoot,
    table: &TableDef,
    column: &str,
) -> Result<HashSet<String>> {
    use datafusion::parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
    let store = root.store();
    let objects = root
        .visible_parquet(store, table.name)
        .await
        .map_err(|reason| Error::DataRoot {
            root: root.url().to_owned(),
            reason,
        })?;
    let mut ids = HashSet::new();
    for meta in objects {
        let location = root.location(&meta.location);
        let parquet = |source| Error::Parquet {
            path: PathBuf::from(&location),
            source,
        };
        let reader = ObjectReader::new(Arc::clone(store), &meta);
        let builder = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .map_err(parquet)?;
        let mask = super::id_projection(builder.parquet_schema(), column).ok_or_else(|| {
            Error::DataRoot {
                root: root.url().to_owned(),
                reason: format!("{location} has no {column} column"),
            }
        })?;
        let mut stream = builder.with_projection(mask).build().map_err(parquet)?;
        while let Some(batch) = stream.try_next().await.map_err(parquet)? {
            super::add_ids(&batch, &mut ids).map_err(|()| Error::DataRoot {
                root: root.url().to_owned(),
                reason: format!("{location}: {column} is not a string column"),
            })?;
        }
    }
    Ok(ids)
}
