//! The active rule set and its reloading.
//!
//! Rules live in `*.toml` files of one folder. [`RuleStore::reload`] reads and checks every
//! file first and swaps the active set only when all of them are good: a bad file leaves the
//! previous rules active and reports file, line and reason. Queries read the active set when
//! they start, so a reload never changes a query half-way.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::matcher::CompiledRules;
use super::rules::{RuleDef, RuleError, check_unique_ids, parse_rule_file};

/// Reads a rule set from somewhere this crate does not know (object storage): `(file name,
/// TOML text)` pairs in the order to load them, or an error naming what could not be read.
pub type RuleLoader = Arc<dyn Fn() -> Result<Vec<(String, String)>, RuleError> + Send + Sync>;

/// Where rules come from.
#[derive(Clone)]
pub enum RuleSource {
    /// Every `*.toml` file of a folder, in name order.
    Folder(PathBuf),
    /// One built-in text (the default set when a data root has no rules folder).
    Builtin {
        /// Name used in errors and in `qa_rules.file`.
        name: String,
        /// The TOML text.
        text: &'static str,
    },
    /// Files read by a loader supplied by the caller, called on open and on every reload
    /// (from the thread running the query that reloads, so it must not need an async context).
    Loader {
        /// Name of the source (for example `s3://bucket/prefix/rules`), used in errors.
        name: String,
        /// Reads every rule file.
        load: RuleLoader,
    },
}

impl std::fmt::Debug for RuleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleSource::Folder(dir) => f.debug_tuple("Folder").field(dir).finish(),
            RuleSource::Builtin { name, .. } => {
                f.debug_struct("Builtin").field("name", name).finish()
            }
            RuleSource::Loader { name, .. } => {
                f.debug_struct("Loader").field("name", name).finish()
            }
        }
    }
}

/// The active rule set, shared by the QA functions and the `qa_rules` table.
#[derive(Debug)]
pub struct RuleStore {
    source: RuleSource,
    active: RwLock<Arc<CompiledRules>>,
}

/// What a reload changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadSummary {
    /// Rules now active.
    pub active: usize,
    /// Ids of new rules.
    pub added: Vec<String>,
    /// Ids of rules that are gone.
    pub removed: Vec<String>,
    /// Ids of rules whose definition changed.
    pub changed: Vec<String>,
}

impl std::fmt::Display for ReloadSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |ids: &[String]| {
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.join(", ")
            }
        };
        write!(
            f,
            "{} rules active; added: {}; removed: {}; changed: {}",
            self.active,
            list(&self.added),
            list(&self.removed),
            list(&self.changed)
        )
    }
}

impl RuleStore {
    /// Loads the rules of `source`; fails (file, line, reason) when any file is bad.
    pub fn open(source: RuleSource) -> Result<Self, RuleError> {
        let rules = load(&source)?;
        Ok(Self {
            source,
            active: RwLock::new(Arc::new(rules)),
        })
    }

    /// The active rule set.
    pub fn current(&self) -> Arc<CompiledRules> {
        match self.active.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Where the rules come from.
    pub fn source(&self) -> &RuleSource {
        &self.source
    }

    /// Reads the rule files again and activates them if they are all good; otherwise keeps
    /// the active rules and returns the first error.
    pub fn reload(&self) -> Result<ReloadSummary, RuleError> {
        let new = load(&self.source)?;
        let old = self.current();
        let mut summary = ReloadSummary {
            active: new.rules.len(),
            ..ReloadSummary::default()
        };
        for rule in &new.rules {
            match old.rule(&rule.def.id) {
                None => summary.added.push(rule.def.id.clone()),
                Some(before) if before.def != rule.def => {
                    summary.changed.push(rule.def.id.clone());
                }
                Some(_) => {}
            }
        }
        for rule in &old.rules {
            if new.rule(&rule.def.id).is_none() {
                summary.removed.push(rule.def.id.clone());
            }
        }
        let new = Arc::new(new);
        match self.active.write() {
            Ok(mut guard) => *guard = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        Ok(summary)
    }
}

fn load(source: &RuleSource) -> Result<CompiledRules, RuleError> {
    let files: Vec<(String, String)> = match source {
        RuleSource::Builtin { name, text } => vec![(name.clone(), (*text).to_owned())],
        RuleSource::Folder(dir) => read_folder(dir)?,
        RuleSource::Loader { load, .. } => load()?,
    };
    let mut rules: Vec<(String, RuleDef)> = Vec::new();
    for (file, text) in &files {
        for rule in parse_rule_file(file, text)? {
            rules.push((file.clone(), rule));
        }
    }
    check_unique_ids(rules.iter().map(|(f, r)| (f.as_str(), r)))?;
    CompiledRules::compile(rules).map_err(|reason| RuleError {
        file: source_name(source),
        line: 0,
        column: 0,
        reason,
    })
}

fn source_name(source: &RuleSource) -> String {
    match source {
        RuleSource::Folder(dir) => dir.display().to_string(),
        RuleSource::Builtin { name, .. } | RuleSource::Loader { name, .. } => name.clone(),
    }
}

fn read_folder(dir: &Path) -> Result<Vec<(String, String)>, RuleError> {
    let io_error = |path: &Path, e: std::io::Error| RuleError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        reason: e.to_string(),
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            // Editors' and writers' temporary files are not rules.
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| io_error(&p, e))?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Mutex;

    use super::*;

    const GOOD: &str = r#"
[[rule]]
id = "greeting"
name = "Greeting"
dimension = "communication"
weight = 10
severity = "major"
speaker = "agent"
condition = { type = "phrases", mode = "any", phrases = ["hello"] }
"#;

    #[test]
    fn a_loader_is_called_on_open_and_reload_and_bad_files_keep_the_old_rules() {
        let text = Arc::new(Mutex::new(GOOD.to_owned()));
        let current = Arc::clone(&text);
        let source = RuleSource::Loader {
            name: "s3://bucket/root/rules".to_owned(),
            load: Arc::new(move || {
                Ok(vec![(
                    "s3://bucket/root/rules/a.toml".to_owned(),
                    current.lock().unwrap().clone(),
                )])
            }),
        };
        assert!(format!("{source:?}").contains("s3://bucket/root/rules"));
        let store = RuleStore::open(source).unwrap();
        assert_eq!(store.current().rules.len(), 1);
        *text.lock().unwrap() = "[[rule]\nid = ".to_owned();
        let err = store.reload().unwrap_err().to_string();
        assert!(err.starts_with("s3://bucket/root/rules/a.toml:1:"), "{err}");
        assert_eq!(store.current().rules.len(), 1);
    }
}
