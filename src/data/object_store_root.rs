//! Data roots in S3-compatible object storage (`s3://bucket/prefix`), through `object_store`.
//!
//! Configuration is the standard AWS environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP`) read by [`AmazonS3Builder::from_env`], with `CALLQA_S3_ENDPOINT`,
//! `CALLQA_S3_REGION` and `CALLQA_S3_ALLOW_HTTP` overriding it. With an endpoint (MinIO, moto,
//! …) requests use path-style addressing.
//!
//! Opening a root probes it (one listing of the prefix) under a short overall timeout, so a
//! wrong key, a missing bucket or an unreachable endpoint is one clear error at start, not a
//! hang or an error on the first query.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ClientConfigKey, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig};

use crate::{Error, Result};

/// The URL scheme of object-store data roots.
pub const SCHEME: &str = "s3://";

/// Overall time the start-up probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a data root is an object-store URL rather than a local directory.
pub fn is_object_store_url(root: &str) -> bool {
    root.starts_with(SCHEME)
}

/// Settings given in code (tests, embedding) rather than through the environment; each one
/// that is set wins over the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectStoreSettings {
    /// Endpoint URL of an S3-compatible service (`http://127.0.0.1:9000`); path-style
    /// requests are used with it.
    pub endpoint: Option<String>,
    /// Region (`us-east-1` when nothing sets one).
    pub region: Option<String>,
    /// Allow plain-HTTP endpoints.
    pub allow_http: Option<bool>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
}

/// An opened and probed `s3://bucket/prefix` data root.
#[derive(Debug, Clone)]
pub struct ObjectRoot {
    /// `s3://bucket/prefix` without a trailing slash.
    url: String,
    bucket: String,
    /// The prefix as an object path (empty for the bucket's top level).
    prefix: ObjectPath,
    /// The configured builder, to make clients for other runtimes.
    builder: AmazonS3Builder,
    store: Arc<dyn ObjectStore>,
    /// The endpoint requests go to, for messages.
    endpoint: String,
}

impl ObjectRoot {
    /// Parses `s3://bucket[/prefix]`, builds the client from the environment (and
    /// `settings`) and probes the root; every failure is an [`Error::DataRoot`] naming the
    /// root and the reason.
    pub async fn open(root: &str, settings: &ObjectStoreSettings) -> Result<Self> {
        let data_root = |reason: String| Error::DataRoot {
            root: root.to_owned(),
            reason,
        };
        let rest = root
            .strip_prefix(SCHEME)
            .ok_or_else(|| data_root("not an s3:// URL".to_owned()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(data_root("no bucket name in the URL".to_owned()));
        }
        let prefix = prefix.trim_matches('/');
        let prefix = ObjectPath::parse(prefix).map_err(|e| data_root(e.to_string()))?;
        let builder = configured_builder(bucket, settings).map_err(data_root)?;
        let endpoint = builder
            .get_config_value(&AmazonS3ConfigKey::Endpoint)
            .unwrap_or_else(|| {
                let region = builder
                    .get_config_value(&AmazonS3ConfigKey::Region)
                    .unwrap_or_else(|| "us-east-1".to_owned());
                format!("https://s3.{region}.amazonaws.com")
            });
        let url = if prefix.as_ref().is_empty() {
            format!("{SCHEME}{bucket}")
        } else {
            format!("{SCHEME}{bucket}/{prefix}")
        };
        let store =
            build_store(&builder, Serving::Queries).map_err(|e| data_root(e.to_string()))?;
        let opened = ObjectRoot {
            url,
            bucket: bucket.to_owned(),
            prefix,
            builder,
            store,
            endpoint,
        };
        opened.probe().await.map_err(data_root)?;
        Ok(opened)
    }

    /// Lists the prefix once with a client whose retries and timeouts are short.
    async fn probe(&self) -> std::result::Result<(), String> {
        let store = build_store(&self.builder, Serving::Probe).map_err(|e| e.to_string())?;
        let prefix = self.prefix_option();
        let listing =
            tokio::time::timeout(PROBE_TIMEOUT, store.list_with_delimiter(prefix.as_ref()));
        match listing.await {
            Ok(Ok(found)) => {
                if found.objects.is_empty() && found.common_prefixes.is_empty() {
                    tracing::warn!(root = %self.url, "no objects under the data root: every table is empty");
                }
                Ok(())
            }
            Ok(Err(e)) => Err(self.explain(&e)),
            Err(_) => Err(format!(
                "no answer from {} within {} s{}",
                self.endpoint,
                PROBE_TIMEOUT.as_secs(),
                if self
                    .builder
                    .get_config_value(&AmazonS3ConfigKey::AccessKeyId)
                    .is_none()
                {
                    " (AWS_ACCESS_KEY_ID is not set, so credentials were looked for in instance metadata)"
                } else {
                    ""
                }
            )),
        }
    }

    /// A short reason for an object-store error: missing bucket, access denied, unreachable
    /// endpoint, or the error itself.
    pub fn explain(&self, err: &object_store::Error) -> String {
        let chain = error_chain(err);
        let denied = [
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
            "ExpiredToken",
            "InvalidToken",
        ];
        if chain.contains("NoSuchBucket") {
            return "the bucket does not exist".to_owned();
        }
        if matches!(
            err,
            object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
        ) || denied.iter().any(|code| chain.contains(code))
        {
            return "access denied (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)".to_owned();
        }
        if let Some(io) = find_io_error(err) {
            use std::io::ErrorKind;
            let what = match io.kind() {
                ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                ErrorKind::TimedOut => "timed out".to_owned(),
                _ => io.to_string(),
            };
            return format!("cannot reach {}: {what}", self.endpoint);
        }
        if chain.to_ascii_lowercase().contains("connection refused") {
            return format!("cannot reach {}: connection refused", self.endpoint);
        }
        if let Some(http) = find_http_error(err) {
            use object_store::client::HttpErrorKind;
            if matches!(http.kind(), HttpErrorKind::Connect | HttpErrorKind::Timeout) {
                return format!("cannot reach {}: {chain}", self.endpoint);
            }
        }
        if let object_store::Error::NotFound { .. } = err {
            return "the bucket does not exist".to_owned();
        }
        chain
    }

    /// `s3://bucket/prefix`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `s3://bucket`: the URL the store is registered under in DataFusion.
    pub fn store_url(&self) -> Result<url::Url> {
        url::Url::parse(&format!("{SCHEME}{}", self.bucket)).map_err(|e| Error::DataRoot {
            root: self.url.clone(),
            reason: e.to_string(),
        })
    }

    /// The client used by queries.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// A new client with the same configuration, for use on another tokio runtime.
    pub fn fresh_store(&self) -> Result<Arc<dyn ObjectStore>> {
        build_store(&self.builder, Serving::Queries).map_err(|e| Error::DataRoot {
            root: self.url.clone(),
            reason: e.to_string(),
        })
    }

    /// The key of `relative` (`calls/date=…/x.parquet`, `_ingest/lock`) under the prefix.
    pub fn key(&self, relative: &str) -> ObjectPath {
        let mut key = self.prefix.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            key = key.join(part);
        }
        key
    }

    /// The key relative to the prefix (`calls/date=…/x.parquet`), if it is under it.
    pub fn relative(&self, key: &ObjectPath) -> Option<String> {
        let parts: Vec<_> = key.prefix_match(&self.prefix)?.collect();
        Some(
            parts
                .iter()
                .map(|p| p.as_ref().to_owned())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// `s3://bucket/key`, for messages and summaries.
    pub fn location(&self, key: &ObjectPath) -> String {
        format!("{SCHEME}{}/{key}", self.bucket)
    }

    /// `s3://bucket/prefix/<folder>/`, a folder URL for a listing table.
    pub fn folder_url(&self, folder: &str) -> String {
        format!("{}/{folder}/", self.url)
    }

    fn prefix_option(&self) -> Option<ObjectPath> {
        (!self.prefix.as_ref().is_empty()).then(|| self.prefix.clone())
    }

    /// Every object below `folder` (relative to the prefix), in key order.
    pub async fn list(
        &self,
        store: &Arc<dyn ObjectStore>,
        folder: &str,
    ) -> std::result::Result<Vec<ObjectMeta>, String> {
        let folder = self.key(folder);
        let mut objects: Vec<ObjectMeta> = store
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(|e| format!("{}: {}", self.location(&folder), self.explain(&e)))?;
        objects.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(objects)
    }

    /// The `*.parquet` objects of a table folder that DataFusion's listing would read: no
    /// path part below the folder starting with `.` or `_`.
    pub async fn visible_parquet(
        &self,
        store: &Arc<dyn ObjectStore>,
        folder: &str,
    ) -> std::result::Result<Vec<ObjectMeta>, String> {
        let base = self.key(folder);
        let objects = self.list(store, folder).await?;
        Ok(objects
            .into_iter()
            .filter(|meta| {
                let Some(parts) = meta.location.prefix_match(&base) else {
                    return false;
                };
                let parts: Vec<_> = parts.collect();
                parts
                    .iter()
                    .all(|p| !p.as_ref().starts_with('.') && !p.as_ref().starts_with('_'))
                    && parts
                        .last()
                        .is_some_and(|p| p.as_ref().ends_with(".parquet"))
            })
            .collect())
    }

    /// Rows of a Parquet object, from its footer.
    pub async fn footer_rows(&self, meta: &ObjectMeta) -> std::result::Result<u64, String> {
        use datafusion::parquet::arrow::async_reader::AsyncFileReader;
        let mut reader = ObjectReader::new(Arc::clone(&self.store), meta);
        let metadata = reader.get_metadata(None).await.map_err(|e| e.to_string())?;
        Ok(metadata.file_metadata().num_rows().max(0).unsigned_abs())
    }

    /// The `*.toml` rule files under `rules/`, as `(s3://… name, text)` in key order.
    pub async fn read_rules(
        &self,
        store: &Arc<dyn ObjectStore>,
    ) -> std::result::Result<Vec<(String, String)>, (String, String)> {
        let objects = self
            .list(store, "rules")
            .await
            .map_err(|reason| (format!("{}/rules", self.url), reason))?;
        let mut files = Vec::new();
        for meta in objects {
            let Some(name) = meta.location.filename() else {
                continue;
            };
            if !name.ends_with(".toml") || name.starts_with('.') {
                continue;
            }
            let location = self.location(&meta.location);
            let read = async {
                let bytes = store.get(&meta.location).await?.bytes().await?;
                Ok::<_, object_store::Error>(bytes)
            };
            let bytes = read
                .await
                .map_err(|e| (location.clone(), self.explain(&e)))?;
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| (location.clone(), "not UTF-8 text".to_owned()))?;
            files.push((location, text));
        }
        Ok(files)
    }

    /// Whether the root has a `rules/` folder (any object below it).
    pub async fn has_rules(&self) -> Result<bool> {
        let mut listing = self.store.list(Some(&self.key("rules")));
        match listing.next().await {
            None => Ok(false),
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) => Err(Error::DataRoot {
                root: self.url.clone(),
                reason: format!("rules: {}", self.explain(&e)),
            }),
        }
    }
}

/// Reads a Parquet object of known size through an object store (ranged GETs).
#[derive(Debug, Clone)]
pub struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    location: ObjectPath,
    size: u64,
}

impl ObjectReader {
    /// A reader of the object `meta` describes.
    pub fn new(store: Arc<dyn ObjectStore>, meta: &ObjectMeta) -> Self {
        ObjectReader {
            store,
            location: meta.location.clone(),
            size: meta.size,
        }
    }
}

impl datafusion::parquet::arrow::async_reader::AsyncFileReader for ObjectReader {
    fn get_bytes(
        &mut self,
        range: std::ops::Range<u64>,
    ) -> futures::future::BoxFuture<'_, datafusion::parquet::errors::Result<bytes::Bytes>> {
        Box::pin(async move {
            self.store
                .get_range(&self.location, range)
                .await
                .map_err(|e| datafusion::parquet::errors::ParquetError::External(Box::new(e)))
        })
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions>,
    ) -> futures::future::BoxFuture<
        'a,
        datafusion::parquet::errors::Result<
            Arc<datafusion::parquet::file::metadata::ParquetMetaData>,
        >,
    > {
        Box::pin(async move {
            let size = self.size;
            let metadata = datafusion::parquet::file::metadata::ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        })
    }
}

/// Which client: the one queries use, or the start-up probe's (fail fast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serving {
    Queries,
    Probe,
}

/// `AmazonS3Builder::from_env()` for `bucket`, with the `CALLQA_S3_*` overrides and then
/// `settings`.
fn configured_builder(
    bucket: &str,
    settings: &ObjectStoreSettings,
) -> std::result::Result<AmazonS3Builder, String> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(endpoint) = env_value("CALLQA_S3_ENDPOINT") {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = env_value("CALLQA_S3_REGION") {
        builder = builder.with_region(region);
    }
    if let Some(allow) = env_value("CALLQA_S3_ALLOW_HTTP") {
        let allow = match allow.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => return Err(format!("CALLQA_S3_ALLOW_HTTP={allow} is not true or false")),
        };
        builder = builder.with_allow_http(allow);
    }
    if let Some(endpoint) = &settings.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = &settings.region {
        builder = builder.with_region(region);
    }
    if let Some(allow) = settings.allow_http {
        builder = builder.with_allow_http(allow);
    }
    if let Some(key) = &settings.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &settings.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    if let Some(token) = &settings.session_token {
        builder = builder.with_token(token);
    }
    if builder
        .get_config_value(&AmazonS3ConfigKey::Region)
        .is_none()
        && let Some(region) = env_value("AWS_DEFAULT_REGION")
    {
        builder = builder.with_region(region);
    }
    if builder
        .get_config_value(&AmazonS3ConfigKey::Endpoint)
        .is_some()
    {
        // MinIO, moto and most S3-compatible services want path-style requests.
        builder = builder.with_virtual_hosted_style_request(false);
    }
    Ok(builder)
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn build_store(
    builder: &AmazonS3Builder,
    serving: Serving,
) -> object_store::Result<Arc<dyn ObjectStore>> {
    let (retries, retry_timeout, connect, request) = match serving {
        Serving::Queries => (3, Duration::from_secs(30), "5s", "60s"),
        Serving::Probe => (1, Duration::from_secs(4), "3s", "5s"),
    };
    let retry = RetryConfig {
        max_retries: retries,
        retry_timeout,
        ..RetryConfig::default()
    };
    let store = builder
        .clone()
        .with_retry(retry)
        .with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
            connect,
        )
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), request)
        .build()?;
    Ok(Arc::new(store))
}

/// The messages of an error and its sources, joined.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let message = e.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = e.source();
    }
    text
}

fn find_io_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = e.source();
    }
    None
}

fn find_http_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a object_store::client::HttpError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(http) = e.downcast_ref::<object_store::client::HttpError>() {
            return Some(http);
        }
        source = e.source();
    }
    None
}

/// Runs `work` on a thread of its own with a current-thread tokio runtime, and waits for it.
///
/// Synchronous code that needs the object store (rule reloads from a SQL function, `ingest`)
/// uses this: it works from plain threads, from `spawn_blocking` and from runtime workers
/// (through `block_in_place` on a multi-thread runtime), and never shares a client's
/// connections with a runtime it might block. Create the clients inside `work`
/// ([`ObjectRoot::fresh_store`] or [`ObjectRoot::open`]).
pub fn on_own_runtime<T: Send>(
    work: impl FnOnce(&tokio::runtime::Runtime) -> Result<T> + Send,
) -> Result<T> {
    let run = || {
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Error::Internal {
                        what: "object store runtime".to_owned(),
                        reason: e.to_string(),
                    })?;
                work(&runtime)
            });
            worker.join().unwrap_or_else(|_| {
                Err(Error::Internal {
                    what: "object store worker".to_owned(),
                    reason: "it panicked".to_owned(),
                })
            })
        })
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(run)
        }
        _ => run(),
    }
}
