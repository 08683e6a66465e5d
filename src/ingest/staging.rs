//! All-or-nothing publication of an ingest run.
//!
//! A run writes its Parquet files under `<root>/_ingest/<run>/`, a mirror of the table
//! folders that no table lists. When every file is complete and fsynced, the run writes
//! `<root>/_ingest/<run>.commit` (the list of its files, fsynced): from that instant the run
//! is committed, and its files are renamed into the table folders. If the process dies
//! before the commit file exists, the next run deletes the staging folder; if it dies during
//! the renames, the next run (or the next engine start, [`finish_interrupted_runs`])
//! finishes them. Readers never see part of a run: until the commit file is gone, table
//! listings hide every file it names ([`crate::data::table_file_store`]).
//! One run at a time holds `<root>/_ingest/lock`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

use crate::data::schema::STAGING_DIR;

const LOCK_FILE: &str = "lock";
const COMMIT_SUFFIX: &str = ".commit";

/// What recovery found from earlier, interrupted runs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Committed runs whose renames were finished now.
    pub completed_runs: usize,
    /// Uncommitted runs whose staged files were deleted.
    pub discarded_runs: usize,
}

/// A run being staged; dropped without [`Run::commit`], it deletes what it staged.
#[derive(Debug)]
pub struct Run {
    root: PathBuf,
    id: String,
    dir: PathBuf,
    /// Paths relative to the run folder (and, once published, to the data root).
    files: Vec<PathBuf>,
    committed: bool,
    /// Held for the life of the run: one run per data root at a time.
    _lock: File,
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

impl Run {
    /// Takes the data root's ingest lock, finishes or discards interrupted runs, and opens
    /// a new staging folder.
    pub fn begin(root: &Path) -> Result<(Run, Recovered)> {
        let staging = root.join(STAGING_DIR);
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        let lock_path = staging.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::DataRoot {
                    root: root.display().to_string(),
                    reason: format!(
                        "another ingest is running on {} (it holds {})",
                        root.display(),
                        lock_path.display()
                    ),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
        }
        let recovered = recover(root)?;
        let id = format!(
            "{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            std::process::id()
        );
        let dir = staging.join(&id);
        std::fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok((
            Run {
                root: root.to_path_buf(),
                id,
                dir,
                files: Vec::new(),
                committed: false,
                _lock: lock,
            },
            recovered,
        ))
    }

    /// The run's id, unique per data root; part of every file name it writes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The staging folder: write table files below it, as under a data root.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records a complete, fsynced file written below [`Run::dir`].
    pub fn add(&mut self, path: &Path) -> Result<()> {
        let relative = path.strip_prefix(&self.dir).map_err(|_| Error::Internal {
            what: "staged file".to_owned(),
            reason: format!("{} is outside {}", path.display(), self.dir.display()),
        })?;
        self.files.push(relative.to_path_buf());
        Ok(())
    }

    /// Files staged so far.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Commits the run: writes the commit file, then moves every file into place.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        if self.files.is_empty() {
            return Ok(Vec::new());
        }
        let staging = self.root.join(STAGING_DIR);
        let commit = staging.join(format!("{}{COMMIT_SUFFIX}", self.id));
        let temp = staging.join(format!(".{}{COMMIT_SUFFIX}.tmp", self.id));
        let mut list = String::new();
        for file in &self.files {
            list.push_str(&file.to_string_lossy());
            list.push('\n');
        }
        let mut out = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        out.write_all(list.as_bytes())
            .and_then(|()| out.sync_all())
            .map_err(|e| Error::io(&temp, e))?;
        std::fs::rename(&temp, &commit).map_err(|e| Error::io(&commit, e))?;
        sync_dir(&staging)?;
        // Committed: from here on, an error leaves the rest to the next run's recovery
        // instead of deleting staged files.
        self.committed = true;
        publish(&self.root, &self.dir, &self.files)?;
        finish(&commit, &self.dir)?;
        Ok(self.files.iter().map(|f| self.root.join(f)).collect())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if !self.committed {
            // Abandoned: nothing of it may remain. Already gone is fine.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Moves staged files into the data root, skipping those already moved.
fn publish(root: &Path, run_dir: &Path, files: &[PathBuf]) -> Result<()> {
    let mut folders = Vec::new();
    for file in files {
        let from = run_dir.join(file);
        let to = root.join(file);
        if !from.exists() && to.exists() {
            continue; // moved before an interruption
        }
        if let Some(folder) = to.parent() {
            std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
            if !folders.contains(&folder.to_path_buf()) {
                folders.push(folder.to_path_buf());
            }
        }
        std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
    }
    for folder in folders {
        sync_dir(&folder)?;
    }
    Ok(())
}

/// Removes a published run's staging folder (already gone after an interruption is fine),
/// then its commit file.
fn finish(commit: &Path, run_dir: &Path) -> Result<()> {
    if run_dir.exists() {
        std::fs::remove_dir_all(run_dir).map_err(|e| Error::io(run_dir, e))?;
    }
    std::fs::remove_file(commit).map_err(|e| Error::io(commit, e))
}

/// At engine start-up: finishes the committed runs an interrupted ingest left and deletes
/// uncommitted ones, as the next `callqa ingest` would, so that a kill during the renames
/// does not leave part of a run visible until then. Skipped while an ingest holds the lock
/// (it finishes its own run; the listing hides it meanwhile, see
/// [`crate::data::table_file_store`]) and on a data root without `_ingest/`. A root the server
/// may not write is served as it is: the failure is logged, and listings still hide the
/// unfinished run.
pub fn finish_interrupted_runs(root: &Path) -> Option<Recovered> {
    let staging = root.join(STAGING_DIR);
    if !staging.is_dir() {
        return None;
    }
    let lock_path = staging.join(LOCK_FILE);
    let attempt = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))
        .and_then(|lock| match lock.try_lock() {
            Ok(()) => recover(root).map(|recovered| Some((recovered, lock))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&lock_path, e)),
        });
    match attempt {
        Ok(Some((recovered, _lock))) => Some(recovered),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "could not finish interrupted ingest runs");
            None
        }
    }
}

/// Finishes committed runs and deletes uncommitted ones (the caller holds the lock).
fn recover(root: &Path) -> Result<Recovered> {
    let staging = root.join(STAGING_DIR);
    let mut recovered = Recovered::default();
    let entries = std::fs::read_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let mut names: Vec<String> = entries
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(&staging, e))?;
    names.sort();
    for name in &names {
        if let Some(id) = name.strip_suffix(COMMIT_SUFFIX) {
            let commit = staging.join(name);
            let list = std::fs::read_to_string(&commit).map_err(|e| Error::io(&commit, e))?;
            let files: Vec<PathBuf> = list.lines().map(PathBuf::from).collect();
            let run_dir = staging.join(id);
            publish(root, &run_dir, &files)?;
            finish(&commit, &run_dir)?;
            recovered.completed_runs += 1;
            tracing::info!(
                run = id,
                files = files.len(),
                "finished an interrupted ingest"
            );
        }
    }
    for name in &names {
        let path = staging.join(name);
        if name == LOCK_FILE || name.ends_with(COMMIT_SUFFIX) || !path.exists() {
            continue;
        }
        // A run folder without a commit file, or a half-written commit file.
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            recovered.discarded_runs += 1;
            tracing::info!(run = %name, "discarded an interrupted ingest");
        } else {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, content: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn files_appear_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let (mut run, _) = Run::begin(root.path()).unwrap();
        let staged = run.dir().join("calls/date=2026-10-05/part-x.parquet");
        write(&staged, "data");
        run.add(&staged).unwrap();
        assert!(!root.path().join("calls").exists());
        let published = run.commit().unwrap();
        assert_eq!(
            published,
            [root.path().join("calls/date=2026-10-05/part-x.parquet")]
        );
        assert_eq!(std::fs::read_to_string(&published[0]).unwrap(), "data");
        let left: Vec<_> = std::fs::read_dir(root.path().join(STAGING_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["lock"]);
    }

    #[test]
    fn an_abandoned_run_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let (mut run, _) = Run::begin(root.path()).unwrap();
        let staged = run.dir().join("utterances/date=2026-10-05/part-x.parquet");
        write(&staged, "data");
        run.add(&staged).unwrap();
        let dir = run.dir().to_path_buf();
        drop(run);
        assert!(!dir.exists());
        assert!(!root.path().join("utterances").exists());
    }

    #[test]
    fn one_run_at_a_time() {
        let root = tempfile::tempdir().unwrap();
        let (_run, _) = Run::begin(root.path()).unwrap();
        let err = Run::begin(root.path()).unwrap_err().to_string();
        assert!(err.contains("another ingest is running"), "{err}");
    }

    #[test]
    fn recovery_finishes_committed_runs_and_discards_the_rest() {
        let root = tempfile::tempdir().unwrap();
        let staging = root.path().join(STAGING_DIR);
        // Killed during the renames: one file moved, one still staged.
        write(
            &root.path().join("calls/date=2026-10-05/a.parquet"),
            "moved",
        );
        write(
            &staging.join("r1/utterances/date=2026-10-05/a.parquet"),
            "staged",
        );
        write(
            &staging.join("r1.commit"),
            "calls/date=2026-10-05/a.parquet\nutterances/date=2026-10-05/a.parquet\n",
        );
        // Killed before its commit: must vanish.
        write(
            &staging.join("r2/calls/date=2026-10-06/b.parquet"),
            "partial",
        );
        write(&staging.join(".r2.commit.tmp"), "calls/date=2026-10-06/b");

        let (run, recovered) = Run::begin(root.path()).unwrap();
        assert_eq!(
            recovered,
            Recovered {
                completed_runs: 1,
                discarded_runs: 1
            }
        );
        let moved = root.path().join("utterances/date=2026-10-05/a.parquet");
        assert_eq!(std::fs::read_to_string(moved).unwrap(), "staged");
        assert!(!root.path().join("calls/date=2026-10-06").exists());
        let mut left: Vec<_> = std::fs::read_dir(&staging)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [run.id().to_owned(), "lock".to_owned()]);
    }
}
