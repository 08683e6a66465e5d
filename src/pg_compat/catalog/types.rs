//! PostgreSQL names of types, as `format_type` and `information_schema` spell them, and the
//! PostgreSQL signatures of callqa's functions.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::types::NativeType;
use datafusion::logical_expr::{TypeSignature, TypeSignatureClass};
use postgres_types::{Kind, Type};

/// The Postgres type of an Arrow type, as the wire protocol reports it.
pub fn pg_type(data_type: &DataType) -> Type {
    arrow_pg::datatypes::into_pg_type(data_type).unwrap_or(Type::UNKNOWN)
}

/// `format_type` spelling: `bigint`, `timestamp with time zone`, `text[]`.
pub fn display_name(pg: &Type) -> String {
    if let Kind::Array(element) = pg.kind() {
        return format!("{}[]", display_name(element));
    }
    match *pg {
        Type::BOOL => "boolean",
        Type::INT2 => "smallint",
        Type::INT4 => "integer",
        Type::INT8 => "bigint",
        Type::FLOAT4 => "real",
        Type::FLOAT8 => "double precision",
        Type::VARCHAR => "character varying",
        Type::TIMESTAMP => "timestamp without time zone",
        Type::TIMESTAMPTZ => "timestamp with time zone",
        Type::TIME => "time without time zone",
        _ => return pg.name().to_owned(),
    }
    .to_owned()
}

/// `information_schema.columns.data_type`: the display name, `ARRAY` for arrays,
/// `USER-DEFINED` for composite values.
pub fn information_schema_name(pg: &Type) -> String {
    match pg.kind() {
        Kind::Array(_) => "ARRAY".to_owned(),
        _ => display_name(pg),
    }
}

/// The argument lists (one per overload) of a function signature, as Postgres types.
pub fn overloads(signature: &TypeSignature) -> Vec<Vec<Type>> {
    match signature {
        TypeSignature::OneOf(variants) => variants.iter().flat_map(overloads).collect(),
        TypeSignature::Coercible(coercions) => vec![
            coercions
                .iter()
                .map(|c| class_type(c.desired_type()))
                .collect(),
        ],
        TypeSignature::Exact(types) => vec![types.iter().map(pg_type).collect()],
        TypeSignature::Uniform(n, types) => {
            let first = types.first().map_or(Type::ANYELEMENT, pg_type);
            vec![vec![first; *n]]
        }
        TypeSignature::Any(n) => vec![vec![Type::ANYELEMENT; *n]],
        TypeSignature::Nullary => vec![vec![]],
        _ => vec![vec![Type::ANYELEMENT]],
    }
}

/// The Arrow type a value of `pg` arrives as (for asking a function its result type).
pub fn arrow_type(pg: &Type) -> DataType {
    match *pg {
        Type::INT8 => DataType::Int64,
        Type::INT4 => DataType::Int32,
        Type::INT2 => DataType::Int16,
        Type::FLOAT8 => DataType::Float64,
        Type::FLOAT4 => DataType::Float32,
        Type::BOOL => DataType::Boolean,
        Type::DATE => DataType::Date32,
        Type::TIMESTAMPTZ => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        _ => DataType::Utf8,
    }
}

fn class_type(class: &TypeSignatureClass) -> Type {
    match class {
        TypeSignatureClass::Native(logical) => match logical.native() {
            NativeType::String => Type::TEXT,
            NativeType::Boolean => Type::BOOL,
            NativeType::Int8 | NativeType::Int16 => Type::INT2,
            NativeType::Int32 => Type::INT4,
            NativeType::Int64 | NativeType::UInt8 | NativeType::UInt16 | NativeType::UInt32 => {
                Type::INT8
            }
            NativeType::Float16 | NativeType::Float32 => Type::FLOAT4,
            NativeType::Float64 => Type::FLOAT8,
            NativeType::Date => Type::DATE,
            NativeType::Timestamp(_, _) => Type::TIMESTAMPTZ,
            _ => Type::ANYELEMENT,
        },
        TypeSignatureClass::Integer => Type::INT8,
        TypeSignatureClass::Float | TypeSignatureClass::Numeric | TypeSignatureClass::Decimal => {
            Type::FLOAT8
        }
        TypeSignatureClass::Timestamp => Type::TIMESTAMPTZ,
        TypeSignatureClass::Time => Type::TIME,
        TypeSignatureClass::Interval | TypeSignatureClass::Duration => Type::INTERVAL,
        TypeSignatureClass::Binary => Type::BYTEA,
        TypeSignatureClass::Any => Type::ANYELEMENT,
    }
}
