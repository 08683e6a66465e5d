//! Page CRC checksums for the Parquet files callqa writes.
//!
//! The Parquet format lets every page header carry the CRC-32 of the page's bytes as stored
//! (field 4 of `PageHeader`), and the parquet crate's reader verifies it when built with its
//! `crc` feature (callqa's `Cargo.toml` turns it on, so DataFusion's scans verify too). The
//! parquet crate 59 never *writes* it (`CompressedPage::to_thrift_header` sets `crc: None`,
//! marked "TODO"), and `ArrowWriter` offers no hook between a page and its header.
//!
//! So [`TableFileWriter`](crate::data::parquet_files::TableFileWriter) drives the writer one level
//! down: Arrow column writers from an `ArrowRowGroupWriterFactory` encode each column chunk
//! into a [`ChunkPages`] store (this module's `PageStore`), which keeps each page as written
//! (thrift header, then data). [`checksummed_chunk`] then inserts the CRC into every header,
//! lays the chunk out dictionary page first (as `ArrowWriter` does), recomputes the offsets
//! and sizes the header growth moved (chunk metadata and offset index), and the chunk is
//! spliced into the row group with `SerializedRowGroupWriter::append_column`. Statistics,
//! bloom filters and the page index are the writer's own, untouched.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use datafusion::parquet::column::page_store::{
    PageKey, PageStore, PageStoreArgs, PageStoreFactory,
};
use datafusion::parquet::column::writer::ColumnCloseResult;
use datafusion::parquet::errors::{ParquetError, Result};

/// Thrift compact-protocol type id of an `i32` field.
const THRIFT_I32: u8 = 5;

/// `PageHeader.crc` (field 4); fields 1–3 are the required type and sizes.
const CRC_FIELD: u8 = 4;

/// `PageType::DICTIONARY_PAGE` as encoded in a page header.
const DICTIONARY_PAGE: i32 = 2;

/// The pages of one column chunk, in the order the column writer produced them.
type Blobs = Arc<Mutex<Vec<Bytes>>>;

fn poisoned<T>(_: PoisonError<T>) -> ParquetError {
    ParquetError::General("page store lock poisoned".to_owned())
}

/// Hands each column writer a store whose pages stay reachable by column index until the
/// row group is spliced ([`ChunkPages::take_column`]).
#[derive(Debug, Default)]
pub(crate) struct ChunkPages {
    columns: Mutex<BTreeMap<usize, Blobs>>,
}

impl ChunkPages {
    /// The pages written for `column` in the current row group; they leave the store.
    pub(crate) fn take_column(&self, column: usize) -> Result<Vec<Bytes>> {
        let blobs = self
            .columns
            .lock()
            .map_err(poisoned)?
            .remove(&column)
            .ok_or_else(|| ParquetError::General(format!("no pages for column {column}")))?;
        let mut blobs = blobs.lock().map_err(poisoned)?;
        Ok(std::mem::take(&mut *blobs))
    }
}

impl PageStoreFactory for ChunkPages {
    fn create(&self, args: &PageStoreArgs<'_>) -> Result<Box<dyn PageStore>> {
        let blobs = Blobs::default();
        self.columns
            .lock()
            .map_err(poisoned)?
            .insert(args.column_index(), Arc::clone(&blobs));
        Ok(Box::new(KeptPages { blobs }))
    }
}

/// A column chunk's pages, kept for [`checksummed_chunk`]; the writer's own splice (`take`)
/// is not used.
#[derive(Debug)]
struct KeptPages {
    blobs: Blobs,
}

impl PageStore for KeptPages {
    fn put(&mut self, value: Bytes) -> Result<PageKey> {
        let mut blobs = self.blobs.lock().map_err(poisoned)?;
        blobs.push(value);
        Ok(PageKey::new(blobs.len() as u64 - 1))
    }

    fn take(&mut self, key: PageKey) -> Result<Bytes> {
        let blobs = self.blobs.lock().map_err(poisoned)?;
        usize::try_from(key.get())
            .ok()
            .and_then(|i| blobs.get(i).cloned())
            .ok_or_else(|| ParquetError::General(format!("invalid page key {}", key.get())))
    }

    fn memory_size(&self) -> usize {
        self.blobs
            .lock()
            .map_or(0, |blobs| blobs.iter().map(Bytes::len).sum())
    }
}

/// A column chunk with a CRC in every page header, ready for `append_column`: its bytes
/// (dictionary page first) and its close result with offsets and sizes to match.
pub(crate) fn checksummed_chunk(
    blobs: Vec<Bytes>,
    mut close: ColumnCloseResult,
) -> Result<(Bytes, ColumnCloseResult)> {
    if !blobs.len().is_multiple_of(2) {
        return Err(ParquetError::General(format!(
            "column chunk of {} blobs is not header/data pairs",
            blobs.len()
        )));
    }
    let mut dictionary: Option<Vec<u8>> = None;
    let mut data_pages: Vec<Vec<u8>> = Vec::new();
    let mut growth = 0usize;
    for pair in blobs.chunks_exact(2) {
        let [header, data] = pair else { continue };
        let (page_type, with_crc) = insert_crc(header, crc32fast::hash(data))?;
        growth += with_crc.len() - header.len();
        let mut page = with_crc;
        page.extend_from_slice(data);
        if page_type == DICTIONARY_PAGE {
            dictionary = Some(page);
        } else {
            data_pages.push(page);
        }
    }
    let dictionary_len = dictionary.as_ref().map_or(0, Vec::len);
    let total = dictionary_len + data_pages.iter().map(Vec::len).sum::<usize>();
    let mut chunk = Vec::with_capacity(total);
    if let Some(dictionary) = &dictionary {
        chunk.extend_from_slice(dictionary);
    }
    let too_big = |n: usize| ParquetError::General(format!("column chunk size {n} overflows"));
    if let Some(offset_index) = close.offset_index.as_mut() {
        if offset_index.page_locations.len() != data_pages.len() {
            return Err(ParquetError::General(format!(
                "offset index has {} pages, the chunk {}",
                offset_index.page_locations.len(),
                data_pages.len()
            )));
        }
        let mut offset = dictionary_len;
        for (location, page) in offset_index.page_locations.iter_mut().zip(&data_pages) {
            location.offset = i64::try_from(offset).map_err(|_| too_big(offset))?;
            location.compressed_page_size =
                i32::try_from(page.len()).map_err(|_| too_big(page.len()))?;
            offset += page.len();
        }
    }
    for page in &data_pages {
        chunk.extend_from_slice(page);
    }
    let metadata = close.metadata;
    let uncompressed =
        metadata.uncompressed_size() + i64::try_from(growth).map_err(|_| too_big(growth))?;
    close.metadata = metadata
        .into_builder()
        .set_dictionary_page_offset(dictionary.as_ref().map(|_| 0))
        .set_data_page_offset(i64::try_from(dictionary_len).map_err(|_| too_big(total))?)
        .set_total_compressed_size(i64::try_from(total).map_err(|_| too_big(total))?)
        .set_total_uncompressed_size(uncompressed)
        .build()?;
    Ok((Bytes::from(chunk), close))
}

/// Inserts `crc` as field 4 of a thrift compact-encoded `PageHeader` that has none; returns
/// the page type (field 1) and the new header.
///
/// The writer encodes fields 1–3 (`i32`) in order, then one of the page-type structs
/// (fields 5, 7 or 8). Field headers carry the id as a delta from the previous field, so the
/// CRC goes in before the first field above 4, whose delta shrinks by the 4 it now follows.
fn insert_crc(header: &[u8], crc: u32) -> Result<(i32, Vec<u8>)> {
    let malformed =
        |what: &str| ParquetError::General(format!("unexpected page header layout: {what}"));
    let mut pos = 0usize;
    let mut last_id = 0u8;
    let mut page_type = None;
    loop {
        let byte = *header.get(pos).ok_or_else(|| malformed("truncated"))?;
        let (delta, kind) = (byte >> 4, byte & 0x0f);
        if byte == 0 || (delta != 0 && last_id + delta > CRC_FIELD) {
            // The stop byte or the first field past the CRC: insert here.
            let mut out = Vec::with_capacity(header.len() + 6);
            out.extend_from_slice(&header[..pos]);
            out.push(((CRC_FIELD - last_id) << 4) | THRIFT_I32);
            #[allow(clippy::cast_possible_wrap)] // the CRC is stored as the i32 of its bits
            write_varint(&mut out, zigzag(crc as i32));
            if byte != 0 {
                out.push(((last_id + delta - CRC_FIELD) << 4) | kind);
            } else {
                out.push(0);
            }
            out.extend_from_slice(&header[pos + 1..]);
            let page_type = page_type.ok_or_else(|| malformed("no page type"))?;
            return Ok((page_type, out));
        }
        if delta == 0 || kind != THRIFT_I32 {
            return Err(malformed("long-form or non-i32 field before the CRC"));
        }
        let id = last_id + delta;
        if id == CRC_FIELD {
            return Err(malformed("the header already has a CRC"));
        }
        pos += 1;
        let (value, len) = read_varint(&header[pos..]).ok_or_else(|| malformed("bad varint"))?;
        if id == 1 {
            page_type = Some(unzigzag(value));
        }
        pos += len;
        last_id = id;
    }
}

/// Checks the CRC of every whole page in `bytes`, which start at a page header (a column
/// chunk or a page of it as a reader fetches it); pages cut off at the end are left to the
/// reader. `Err` names the offset (from `start`, the position of `bytes` in the file) of the
/// first page whose data does not match its CRC. Bytes that do not parse as page headers
/// stop the check without an error: the parquet reader, which verifies the same CRCs, will
/// report them.
pub(crate) fn verify_pages(bytes: &[u8], start: u64) -> std::result::Result<(), String> {
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some(header) = parse_page_header(&bytes[pos..]) else {
            return Ok(());
        };
        let data_start = pos + header.len;
        let Some(data_end) = data_start.checked_add(header.compressed_size) else {
            return Ok(());
        };
        let Some(data) = bytes.get(data_start..data_end) else {
            return Ok(());
        };
        #[allow(clippy::cast_sign_loss)] // the CRC is stored as the i32 of its bits
        if let Some(crc) = header.crc
            && crc32fast::hash(data) != crc as u32
        {
            return Err(format!(
                "page CRC checksum mismatch in the page at byte {}: the file is corrupt",
                start + pos as u64
            ));
        }
        pos = data_end;
    }
    Ok(())
}

/// What [`verify_pages`] needs of a page header.
struct PageHeaderFields {
    /// Bytes of the header itself.
    len: usize,
    compressed_size: usize,
    crc: Option<i32>,
}

/// Parses a thrift compact `PageHeader` at the start of `bytes`; `None` unless it looks like
/// one (a page type 0–3 and a size).
fn parse_page_header(bytes: &[u8]) -> Option<PageHeaderFields> {
    let mut reader = Compact { bytes, pos: 0 };
    let mut last_id = 0i16;
    let (mut page_type, mut compressed_size, mut crc) = (None, None, None);
    loop {
        let byte = reader.byte()?;
        if byte == 0 {
            break;
        }
        let (delta, kind) = (byte >> 4, byte & 0x0f);
        let id = if delta == 0 {
            unzigzag(reader.varint()?) as i16
        } else {
            last_id + i16::from(delta)
        };
        last_id = id;
        match (id, kind) {
            (1 | 3 | 4, THRIFT_I32) => {
                let value = unzigzag(reader.varint()?);
                match id {
                    1 => page_type = Some(value),
                    3 => compressed_size = usize::try_from(value).ok(),
                    _ => crc = Some(value),
                }
            }
            _ => reader.skip(kind, 0)?,
        }
    }
    if !(0..=3).contains(&page_type?) {
        return None;
    }
    Some(PageHeaderFields {
        len: reader.pos,
        compressed_size: compressed_size?,
        crc,
    })
}

/// A cursor over thrift compact-protocol bytes.
struct Compact<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    fn varint(&mut self) -> Option<u32> {
        let (value, len) = read_varint(self.bytes.get(self.pos..)?)?;
        self.pos += len;
        Some(value)
    }

    fn long_varint(&mut self) -> Option<()> {
        for _ in 0..10 {
            if self.byte()? & 0x80 == 0 {
                return Some(());
            }
        }
        None
    }

    fn advance(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        (end <= self.bytes.len()).then(|| self.pos = end)
    }

    /// Skips one value of compact type `kind`; nesting beyond 16 levels is refused.
    fn skip(&mut self, kind: u8, depth: u8) -> Option<()> {
        if depth > 16 {
            return None;
        }
        match kind {
            1 | 2 => Some(()), // booleans live in the field header
            3 => self.advance(1),
            4..=6 => self.long_varint(),
            7 => self.advance(8),
            8 => {
                let len = usize::try_from(self.varint()?).ok()?;
                self.advance(len)
            }
            9 | 10 => {
                let header = self.byte()?;
                let size = match header >> 4 {
                    15 => usize::try_from(self.varint()?).ok()?,
                    n => usize::from(n),
                };
                let element = header & 0x0f;
                for _ in 0..size {
                    self.skip_element(element, depth + 1)?;
                }
                Some(())
            }
            11 => {
                let size = usize::try_from(self.varint()?).ok()?;
                if size == 0 {
                    return Some(());
                }
                let kinds = self.byte()?;
                for _ in 0..size {
                    self.skip_element(kinds >> 4, depth + 1)?;
                    self.skip_element(kinds & 0x0f, depth + 1)?;
                }
                Some(())
            }
            12 => loop {
                let byte = self.byte()?;
                if byte == 0 {
                    return Some(());
                }
                if byte >> 4 == 0 {
                    self.varint()?;
                }
                self.skip(byte & 0x0f, depth + 1)?;
            },
            _ => None,
        }
    }

    /// A collection element: booleans take a byte there.
    fn skip_element(&mut self, kind: u8, depth: u8) -> Option<()> {
        match kind {
            1 | 2 => self.advance(1),
            _ => self.skip(kind, depth),
        }
    }
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

fn unzigzag(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

fn write_varint(out: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A varint of at most 5 bytes and its length.
fn read_varint(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_goes_between_the_sizes_and_the_page_struct() {
        // type=DATA_PAGE(0), uncompressed=100, compressed=60, data_page_header {…} stop
        let header = [
            0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x2c, 0x15, 0x02, 0x00, 0x00,
        ];
        let (page_type, out) = insert_crc(&header, 7).unwrap();
        assert_eq!(page_type, 0);
        assert_eq!(
            out,
            [
                0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x15, 0x0e, 0x1c, 0x15, 0x02, 0x00, 0x00
            ]
        );
        assert!(insert_crc(&out, 7).is_err(), "a second CRC is refused");
    }

    #[test]
    fn verify_pages_finds_the_corrupt_page() {
        // Two pages (header with CRC, then 4 data bytes); the second one's data is damaged.
        let data = [1u8, 2, 3, 4];
        let header = [
            0x15, 0x00, 0x15, 0x08, 0x15, 0x08, 0x2c, 0x15, 0x02, 0x00, 0x00,
        ];
        let (_, with_crc) = insert_crc(&header, crc32fast::hash(&data)).unwrap();
        let mut bytes = [with_crc.clone(), data.to_vec(), with_crc, data.to_vec()].concat();
        assert_eq!(verify_pages(&bytes, 100), Ok(()));
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let err = verify_pages(&bytes, 100).unwrap_err();
        let second = 100 + (bytes.len() / 2) as u64;
        assert!(err.contains(&format!("at byte {second}")), "{err}");
        // Not a page header: no verdict.
        assert_eq!(verify_pages(b"PAR1 not a page", 0), Ok(()));
    }

    #[test]
    fn varints_round_trip() {
        for n in [0, 1, -1, i32::MAX, i32::MIN, 123_456] {
            let mut out = Vec::new();
            write_varint(&mut out, zigzag(n));
            let (value, len) = read_varint(&out).unwrap();
            assert_eq!((unzigzag(value), len), (n, out.len()));
        }
    }
}
