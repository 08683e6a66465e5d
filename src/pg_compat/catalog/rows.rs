//! Building catalog rows against a catalog table's schema: set the columns that mean
//! something for callqa, leave the rest NULL, keep the oid metadata of the columns.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int16Array, Int16Builder, Int32Array, Int32Builder, ListBuilder,
    RecordBatch, StringArray, StringBuilder, new_null_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::MemTable;
use datafusion::common::{Result, internal_err};

/// `schema` with every column nullable (catalog rows leave many columns NULL).
pub fn nullable(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `schema` with the named columns retyped (e.g. an array stored as text by the base table).
pub fn retyped(schema: &Schema, types: &[(&str, DataType)]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone().with_nullable(true);
            match types.iter().find(|(name, _)| name == f.name()) {
                Some((_, data_type)) => field.with_data_type(data_type.clone()),
                None => field,
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `len` rows of `schema`: the given columns (cast to the schema's types), NULL elsewhere.
pub fn batch(
    schema: &SchemaRef,
    len: usize,
    columns: Vec<(&str, ArrayRef)>,
) -> Result<RecordBatch> {
    for (name, array) in &columns {
        if schema.field_with_name(name).is_err() {
            return internal_err!("catalog row: no column {name} in {schema:?}");
        }
        if array.len() != len {
            return internal_err!(
                "catalog row: column {name} has {} values, not {len}",
                array.len()
            );
        }
    }
    let arrays = schema
        .fields()
        .iter()
        .map(
            |field| match columns.iter().find(|(name, _)| name == field.name()) {
                Some((_, array)) => cast(array, field.data_type()).map_err(Into::into),
                None => Ok(new_null_array(field.data_type(), len)),
            },
        )
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), arrays)?)
}

/// A batch of a base catalog table, relabelled with `schema` (same columns, nullable).
pub fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        Arc::clone(schema),
        batch.columns().to_vec(),
    )?)
}

/// `schema` with `extra` columns appended.
pub fn with_columns(schema: &Schema, extra: Vec<Field>) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.extend(extra);
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// A batch with NULL columns appended to fit the wider `schema`.
pub fn widen(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let mut columns = batch.columns().to_vec();
    for field in schema.fields().iter().skip(columns.len()) {
        columns.push(new_null_array(field.data_type(), batch.num_rows()));
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// `batch` with column `name` replaced by `values`.
pub fn set_column(batch: &RecordBatch, name: &str, values: ArrayRef) -> Result<RecordBatch> {
    let index = batch.schema().index_of(name)?;
    let mut columns = batch.columns().to_vec();
    columns[index] = values;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// A table of `batches`.
pub fn table(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Arc<MemTable>> {
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// A text column.
pub fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

/// A text column of `n` times `value`.
pub fn repeat(value: &str, n: usize) -> ArrayRef {
    strings(std::iter::repeat_n(value, n))
}

/// An `int4` column.
pub fn int32s(values: impl IntoIterator<Item = i32>) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(values))
}

/// An `int4` column with NULLs.
pub fn optional_ints(values: Vec<Option<i32>>) -> ArrayRef {
    Arc::new(Int32Array::from(values))
}

/// An `int2` column.
pub fn int16s(values: impl IntoIterator<Item = i16>) -> ArrayRef {
    Arc::new(Int16Array::from_iter_values(values))
}

/// A boolean column of `len` times `value`.
pub fn bools(value: bool, len: usize) -> ArrayRef {
    Arc::new(BooleanArray::from(vec![value; len]))
}

/// The type of an `int2vector` / `int2[]` column.
pub fn int2_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int16, true)))
}

/// The type of an `oidvector` / `oid[]` / `int4[]` column.
pub fn int4_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)))
}

/// The type of a `text[]` column.
pub fn text_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// The type of an array whose elements are the PostgreSQL type `mark` (`oid[]`,
/// `"char"[]`).
pub fn marked_list_type(element: DataType, mark: &str) -> DataType {
    DataType::List(Arc::new(super::names::tagged(
        &Field::new_list_field(element, true),
        mark,
    )))
}

/// An `int4[]` column (of oids), NULL where a row has no list.
pub fn int4_lists(rows: &[Option<Vec<i32>>]) -> ArrayRef {
    let mut builder = ListBuilder::new(Int32Builder::new());
    for row in rows {
        match row {
            Some(values) => {
                builder.values().append_slice(values);
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    Arc::new(builder.finish())
}

/// A list column of `data_type` from the text of each element (NULL where a row has no
/// list); the elements are cast to the list's element type.
pub fn lists_of(rows: &[Option<Vec<String>>], data_type: &DataType) -> Result<ArrayRef> {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match row {
            Some(values) => {
                for value in values {
                    builder.values().append_value(value);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    let texts: ArrayRef = Arc::new(builder.finish());
    Ok(cast(&texts, data_type)?)
}

/// An `int2[]` column from one list of attribute numbers per row.
pub fn int2_lists(rows: &[Vec<i16>]) -> ArrayRef {
    let mut builder = ListBuilder::new(Int16Builder::new());
    for row in rows {
        builder.values().append_slice(row);
        builder.append(true);
    }
    Arc::new(builder.finish())
}
