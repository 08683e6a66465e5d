//! How result columns travel: one choice per Arrow type, the same in text and binary.
//!
//! Scalars and lists of scalars go as arrow-pg maps them (`bigint`, `timestamptz`, `int8[]`,
//! `text[]`, …). Values with structure — a struct, a map, a list of structs (what
//! `qa_evaluate` returns) or a list of lists — go as `json` (OID 114): Postgres clients
//! decode `json` the same way whichever format they asked for (psycopg into lists and
//! dicts, asyncpg and pgjdbc into a string), while a Postgres `record[]` would come back
//! typed in binary but as untyped strings in text, and cannot be described to asyncpg's
//! type introspection at all. Inside SQL they stay structs and lists: only the wire form
//! changes. `docs/types.md` lists the whole mapping.
//!
//! `timestamptz` values are rendered in the session's `TimeZone`, as Postgres renders them
//! (`SET TIME ZONE 'Asia/Shanghai'` turns `…12:00:00+00` into `…20:00:00+08`); the instant,
//! and so the binary form, does not change.

use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::writer::{EncoderOptions, make_encoder};
use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::error::PgWireResult;
use pgwire::types::format::FormatOptions;
use postgres_types::Kind;

use crate::pg_compat::catalog::{ObjectNames, text_mark, wire_text};

/// Field metadata marking a column converted to JSON text for the wire (`json`), or to
/// PostgreSQL's text of its type (`postgres_text`).
const JSON_KEY: &str = "callqa.wire";

/// The [`JSON_KEY`] value of columns written by [`super::postgres_text`].
const POSTGRES_TEXT: &str = "postgres_text";

/// The [`JSON_KEY`] value of catalog columns written by
/// [`crate::pg_compat::catalog::wire_text`] (`int2vector`, `regtype`, …), chosen by the type
/// their RowDescription gives them (the physical plan may not carry the logical field's
/// marks).
const CATALOG_TEXT: &str = "catalog_text";

/// The field metadata key holding the type oid of a [`CATALOG_TEXT`] column.
const CATALOG_TYPE_KEY: &str = "callqa.wire_oid";

/// Whether values of this type travel as `json`.
fn travels_as_json(data_type: &DataType) -> bool {
    match data_type {
        DataType::Struct(_) | DataType::Map(_, _) | DataType::Union(_, _) => true,
        DataType::List(element)
        | DataType::LargeList(element)
        | DataType::ListView(element)
        | DataType::LargeListView(element)
        | DataType::FixedSizeList(element, _) => {
            travels_as_json(element.data_type())
                || matches!(
                    element.data_type(),
                    DataType::List(_)
                        | DataType::LargeList(_)
                        | DataType::ListView(_)
                        | DataType::LargeListView(_)
                        | DataType::FixedSizeList(_, _)
                )
        }
        DataType::Dictionary(_, value) => travels_as_json(value),
        _ => false,
    }
}

/// The type with its time zone replaced by the session's, for timestamptz values and lists
/// of them; `None` when nothing changes.
fn in_time_zone(data_type: &DataType, time_zone: Option<&Arc<str>>) -> Option<DataType> {
    let session = time_zone?;
    match data_type {
        DataType::Timestamp(unit, Some(tz)) if tz != session => {
            Some(DataType::Timestamp(*unit, Some(Arc::clone(session))))
        }
        DataType::List(element) => in_time_zone(element.data_type(), time_zone)
            .map(|t| DataType::List(Arc::new(element.as_ref().clone().with_data_type(t)))),
        DataType::LargeList(element) => in_time_zone(element.data_type(), time_zone)
            .map(|t| DataType::LargeList(Arc::new(element.as_ref().clone().with_data_type(t)))),
        _ => None,
    }
}

/// The session time zone as Arrow spells it, if Arrow knows it (IANA names, `UTC`,
/// `+08:00`); other Postgres spellings leave timestamps in UTC.
pub fn arrow_time_zone(setting: Option<&str>) -> Option<Arc<str>> {
    let setting = setting?;
    Tz::from_str(setting).ok().map(|_| Arc::from(setting))
}

/// The schema as it goes on the wire: structured columns become JSON text, timestamptz
/// columns carry the session time zone.
pub fn wire_schema(schema: &Schema, time_zone: Option<&Arc<str>>) -> SchemaRef {
    let fields: Vec<FieldRef> = schema
        .fields()
        .iter()
        .map(|f| {
            if let Some(zoned) = in_time_zone(f.data_type(), time_zone) {
                Arc::new(f.as_ref().clone().with_data_type(zoned))
            } else if travels_as_json(f.data_type()) {
                Arc::new(
                    Field::new(f.name(), DataType::Utf8, f.is_nullable()).with_metadata(
                        [(JSON_KEY.to_owned(), "json".to_owned())]
                            .into_iter()
                            .collect(),
                    ),
                )
            } else {
                Arc::clone(f)
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The Postgres fields (RowDescription) of a result with this Arrow schema.
pub fn pg_fields(
    schema: &Schema,
    format: &Format,
    options: Option<Arc<FormatOptions>>,
) -> PgWireResult<Vec<FieldInfo>> {
    let wire = wire_schema(schema, None);
    let fields = arrow_pg::datatypes::arrow_schema_to_pg_fields(&wire, format, options)?;
    Ok(fields
        .into_iter()
        .zip(wire.fields().iter())
        .map(|(info, field)| {
            // Catalog `name` / `"char"` columns are text in Arrow: same bytes, PostgreSQL's type.
            let pg_type = if field.metadata().contains_key(JSON_KEY) {
                Some(Type::JSON)
            } else if field.data_type() == &DataType::Null {
                // An untyped NULL (`select NULL`): PostgreSQL resolves an unknown-typed
                // output column to text.
                Some(Type::TEXT)
            } else {
                crate::pg_compat::catalog::wire_type(field).map(|t| {
                    if info.format() == FieldFormat::Text && text_mark(t.oid()).is_some() {
                        // Written whole by `wire_text`: pgwire would quote the text of an
                        // array type (`int2vector`, `regtype[]`) as one element.
                        Type::new(
                            t.name().to_owned(),
                            t.oid(),
                            Kind::Simple,
                            t.schema().to_owned(),
                        )
                    } else {
                        t
                    }
                })
            };
            // Duplicate names are marked apart inside (see `pg_compat::wire_name`).
            let name = crate::pg_compat::wire_name(info.name());
            if pg_type.is_none() && name == info.name() {
                return info;
            }
            FieldInfo::new(
                name.to_owned(),
                info.table_id(),
                info.column_id(),
                pg_type.unwrap_or_else(|| info.datatype().clone()),
                info.format(),
            )
            .with_format_options(Arc::clone(info.format_options()))
        })
        .collect())
}

/// The batches as they go on the wire (see [`wire_schema`]); the columns sent in text that
/// [`postgres_text`](super::postgres_text) writes become that text (their type on the wire
/// does not change).
pub fn wire_stream(
    batches: SendableRecordBatchStream,
    time_zone: Option<Arc<str>>,
    fields: &[FieldInfo],
    object_names: Option<Arc<ObjectNames>>,
) -> SendableRecordBatchStream {
    let schema = batches.schema();
    let wire = wire_schema(&schema, time_zone.as_ref());
    let styles = fields.first().is_some_and(|f| {
        let options = f.format_options();
        super::postgres_text::styles_supported(&options.date_style, &options.interval_style)
    });
    let catalog_text = |f: &FieldRef, info: &FieldInfo| {
        (object_names.is_some() && info.format() == FieldFormat::Text)
            .then(|| info.datatype().oid())
            .filter(|oid| {
                text_mark(*oid).is_some_and(|(_, array)| {
                    matches!(
                        (f.data_type(), array),
                        (DataType::Int32, false) | (DataType::List(_), _)
                    )
                })
            })
    };
    let any_catalog_text = wire
        .fields()
        .iter()
        .zip(fields)
        .any(|(f, info)| catalog_text(f, info).is_some());
    let wire = if styles || any_catalog_text {
        Arc::new(Schema::new_with_metadata(
            wire.fields()
                .iter()
                .zip(fields)
                .map(|(f, info)| {
                    if let Some(oid) = catalog_text(f, info) {
                        Arc::new(
                            Field::new(f.name(), DataType::Utf8, f.is_nullable()).with_metadata(
                                [
                                    (JSON_KEY.to_owned(), CATALOG_TEXT.to_owned()),
                                    (CATALOG_TYPE_KEY.to_owned(), oid.to_string()),
                                ]
                                .into_iter()
                                .collect(),
                            ),
                        )
                    } else if styles
                        && info.format() == FieldFormat::Text
                        && super::postgres_text::writes(f.data_type())
                    {
                        Arc::new(
                            Field::new(f.name(), DataType::Utf8, f.is_nullable()).with_metadata(
                                [(JSON_KEY.to_owned(), POSTGRES_TEXT.to_owned())]
                                    .into_iter()
                                    .collect(),
                            ),
                        )
                    } else {
                        Arc::clone(f)
                    }
                })
                .collect::<Vec<FieldRef>>(),
            wire.metadata().clone(),
        ))
    } else {
        wire
    };
    if wire.fields() == schema.fields() {
        return batches;
    }
    let converted = {
        let wire = Arc::clone(&wire);
        batches.map(move |batch| {
            batch.and_then(|b| to_wire(&b, &wire, time_zone.as_ref(), object_names.as_deref()))
        })
    };
    Box::pin(RecordBatchStreamAdapter::new(wire, converted))
}

/// Converts the columns of one batch to their wire form.
fn to_wire(
    batch: &RecordBatch,
    wire: &SchemaRef,
    time_zone: Option<&Arc<str>>,
    object_names: Option<&ObjectNames>,
) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(batch.schema().fields().iter().zip(wire.fields().iter()))
        .map(|(column, (field, wire_field))| {
            let conversion = wire_field.metadata().get(JSON_KEY).map(String::as_str);
            let catalog_mark = wire_field
                .metadata()
                .get(CATALOG_TYPE_KEY)
                .and_then(|oid| oid.parse().ok())
                .and_then(text_mark);
            if conversion == Some(CATALOG_TEXT)
                && let (Some(names), Some((mark, array))) = (object_names, catalog_mark)
            {
                wire_text(mark, array, column.as_ref(), names)
                    .map_err(|e| ArrowError::ExternalError(Box::new(e)))
            } else if wire_field.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else if conversion == Some(POSTGRES_TEXT) {
                match in_time_zone(field.data_type(), time_zone) {
                    Some(zoned) => super::postgres_text::text_column(
                        datafusion::arrow::compute::cast(column, &zoned)?.as_ref(),
                    ),
                    None => super::postgres_text::text_column(column.as_ref()),
                }
            } else if wire_field.metadata().contains_key(JSON_KEY) {
                json_column(field, column.as_ref())
            } else {
                // A time zone change only: same instants, another rendering.
                datafusion::arrow::compute::cast(column, wire_field.data_type())
            }
        })
        .collect::<Result<Vec<_>, ArrowError>>()?;
    Ok(RecordBatch::try_new(Arc::clone(wire), columns)?)
}

/// One JSON document per value; NULL stays NULL. Struct fields are always written, null or
/// not, so every object of a column has the same keys.
fn json_column(field: &FieldRef, column: &dyn Array) -> Result<ArrayRef, ArrowError> {
    let options = EncoderOptions::default().with_explicit_nulls(true);
    let mut encoder = make_encoder(field, column, &options)?;
    let mut out = StringBuilder::with_capacity(column.len(), column.len() * 64);
    let mut buffer = Vec::new();
    for row in 0..column.len() {
        if column.is_null(row) {
            out.append_null();
            continue;
        }
        buffer.clear();
        encoder.encode(row, &mut buffer);
        let text = std::str::from_utf8(&buffer)
            .map_err(|e| ArrowError::JsonError(format!("JSON output is not UTF-8: {e}")))?;
        out.append_value(text);
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Array, AsArray, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
    };
    use datafusion::arrow::buffer::OffsetBuffer;
    use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema};

    use super::{to_wire, travels_as_json, wire_schema};

    #[test]
    fn only_structured_values_travel_as_json() {
        let item = |t: DataType| Arc::new(Field::new("item", t, true));
        assert!(!travels_as_json(&DataType::Int64));
        assert!(!travels_as_json(&DataType::List(item(DataType::Int64))));
        assert!(!travels_as_json(&DataType::List(item(DataType::Utf8View))));
        let point = DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int64, true)]));
        assert!(travels_as_json(&point));
        assert!(travels_as_json(&DataType::List(item(point))));
        assert!(travels_as_json(&DataType::List(item(DataType::List(
            item(DataType::Int64)
        )))));
    }

    #[test]
    fn a_list_of_structs_becomes_one_json_array_per_row_with_every_key() {
        let fields = Fields::from(vec![
            Field::new("rule_id", DataType::Utf8, false),
            Field::new("passed", DataType::Boolean, true),
            Field::new("evidence_start_ms", DataType::Int64, true),
        ]);
        let structs = StructArray::new(
            fields.clone(),
            vec![
                Arc::new(StringArray::from(vec!["greeting", "closing"])),
                Arc::new(BooleanArray::from(vec![Some(true), None])),
                Arc::new(Int64Array::from(vec![Some(1200), None])),
            ],
            None,
        );
        let element = Arc::new(Field::new("item", DataType::Struct(fields), true));
        let lists = ListArray::new(
            Arc::clone(&element),
            OffsetBuffer::from_lengths([2, 0]),
            Arc::new(structs),
            Some(vec![true, false].into()),
        );
        let schema = Arc::new(Schema::new(vec![Field::new(
            "qa",
            DataType::List(element),
            true,
        )]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(lists)]).unwrap();
        let wire = wire_schema(&schema, None);
        let converted = to_wire(&batch, &wire, None, None).unwrap();
        let texts = converted.column(0).as_string::<i32>();
        assert_eq!(
            texts.value(0),
            r#"[{"rule_id":"greeting","passed":true,"evidence_start_ms":1200},{"rule_id":"closing","passed":null,"evidence_start_ms":null}]"#
        );
        assert!(texts.is_null(1));
    }
}
