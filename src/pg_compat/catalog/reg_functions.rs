//! Casts to the catalog's types and their text, as functions: `regtype(x)` is `x::regtype`
//! (PostgreSQL reads a function call named after a type as that cast), `regtypeout(x)` the
//! text of a `regtype`; likewise `regclass`, `regproc`, `regprocedure`, `regnamespace`,
//! `regrole`, `oid`, `name`, and `int2vectorout` / `oidvectorout`.
//!
//! The statement rewrite turns `x::regtype` into `regtype(x)` (the library's type planner
//! would plan a bare `int4` cast and lose the type), and the analyzer turns a cast of a
//! `reg*` value to text into `regtypeout(x)` (see `catalog_values`). A `regtype` is its oid,
//! an `int4` marked as the type: it compares, joins and sorts by oid as in PostgreSQL, and
//! shows its name on the wire and as text.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int32Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::SessionContext;

use super::names::{
    INT2VECTOR, NAME, OID, OIDVECTOR, REGCLASS, REGNAMESPACE, REGPROC, REGPROCEDURE, REGROLE,
    REGTYPE, tagged,
};
use super::object_names::{ObjectNames, oid_texts};
use crate::pg_compat::sqlstate::{self, Refusal};

/// The oid types a value can be cast to, by the name of the cast.
pub const OID_CASTS: [(&str, &str); 7] = [
    ("oid", OID),
    ("regclass", REGCLASS),
    ("regtype", REGTYPE),
    ("regproc", REGPROC),
    ("regprocedure", REGPROCEDURE),
    ("regnamespace", REGNAMESPACE),
    ("regrole", REGROLE),
];

/// The text functions of the types shown by name.
const OUTPUTS: [(&str, &str); 8] = [
    ("regclassout", REGCLASS),
    ("regtypeout", REGTYPE),
    ("regprocout", REGPROC),
    ("regprocedureout", REGPROCEDURE),
    ("regnamespaceout", REGNAMESPACE),
    ("regroleout", REGROLE),
    ("int2vectorout", INT2VECTOR),
    ("oidvectorout", OIDVECTOR),
];

/// The name of the text function of values marked `mark`.
pub fn output_function(mark: &str) -> Option<&'static str> {
    OUTPUTS.iter().find(|(_, m)| *m == mark).map(|(f, _)| *f)
}

/// Registers the casts and text functions, all reading `names`.
pub fn register(ctx: &SessionContext, names: &Arc<ObjectNames>) {
    for (function, mark) in OID_CASTS {
        ctx.register_udf(ScalarUDF::new_from_impl(OidCast {
            function,
            mark,
            names: Arc::clone(names),
            signature: Signature::user_defined(Volatility::Stable),
        }));
    }
    for (function, mark) in OUTPUTS {
        ctx.register_udf(ScalarUDF::new_from_impl(Output {
            function,
            mark,
            names: Arc::clone(names),
            signature: Signature::user_defined(Volatility::Stable),
        }));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(NameCast {
        signature: Signature::user_defined(Volatility::Immutable),
    }));
}

/// `regtype(x)` and its kind: an integer (or a list of them) as an oid of the type, a name
/// as the oid of what it names.
#[derive(Debug)]
struct OidCast {
    function: &'static str,
    mark: &'static str,
    names: Arc<ObjectNames>,
    signature: Signature,
}

impl PartialEq for OidCast {
    fn eq(&self, other: &Self) -> bool {
        self.function == other.function
    }
}

impl Eq for OidCast {}

impl std::hash::Hash for OidCast {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.function.hash(state);
    }
}

/// Integer types an oid is read from.
fn is_integer(data_type: &DataType) -> bool {
    data_type.is_integer() || data_type == &DataType::Null
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    )
}

/// The list type of oids marked `mark`.
fn oid_list(mark: &str) -> DataType {
    DataType::List(Arc::new(tagged(
        &Field::new_list_field(DataType::Int32, true),
        mark,
    )))
}

impl ScalarUDFImpl for OidCast {
    fn name(&self) -> &str {
        self.function
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        let [arg] = args else {
            return plan_err!("{} takes one argument", self.function);
        };
        match arg {
            t if is_integer(t) => Ok(vec![DataType::Int32]),
            t if is_text(t) => Ok(vec![DataType::Utf8]),
            DataType::List(element) if is_integer(element.data_type()) => Ok(vec![DataType::List(
                Arc::new(Field::new_list_field(DataType::Int32, true)),
            )]),
            other => plan_err!("cannot cast type {other} to {}", self.function),
        }
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(match args.first() {
            Some(DataType::List(_)) => oid_list(self.mark),
            _ => DataType::Int32,
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let data_type = self.return_type(&types)?;
        let field = Field::new(self.function, data_type.clone(), true);
        Ok(Arc::new(match data_type {
            DataType::List(_) => field,
            _ => tagged(&field, self.mark),
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let scalar = matches!(args.args.first(), Some(ColumnarValue::Scalar(_)));
        let Some(arg) = args.args.first() else {
            return exec_err!("{} takes one argument", self.function);
        };
        let array = arg.to_array(rows)?;
        let result: ArrayRef = match array.data_type() {
            DataType::List(_) => {
                let lists = array.as_list::<i32>();
                let values = cast(lists.values(), &DataType::Int32)?;
                let DataType::List(element) = oid_list(self.mark) else {
                    return exec_err!("{}: list type expected", self.function);
                };
                Arc::new(ListArray::try_new(
                    element,
                    lists.offsets().clone(),
                    values,
                    lists.nulls().cloned(),
                )?)
            }
            t if is_text(t) => {
                let texts = cast(&array, &DataType::Utf8)?;
                let mut oids = Vec::with_capacity(texts.len());
                for text in texts.as_string::<i32>().iter() {
                    oids.push(match text {
                        Some(text) => Some(self.oid_of(text)?),
                        None => None,
                    });
                }
                Arc::new(Int32Array::from(oids))
            }
            _ => cast(&array, &DataType::Int32)?,
        };
        if scalar && result.len() == 1 {
            return Ok(ColumnarValue::Scalar(
                datafusion::scalar::ScalarValue::try_from_array(&result, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(result))
    }
}

impl OidCast {
    /// The oid `text` names, or PostgreSQL's error for a name nothing has.
    fn oid_of(&self, text: &str) -> Result<i32> {
        if self.mark == OID {
            return text.trim().parse::<i32>().map_err(|_| {
                Refusal::error(
                    sqlstate::INVALID_TEXT_REPRESENTATION,
                    format!("invalid input syntax for type oid: \"{text}\""),
                )
            });
        }
        self.names.oid(self.mark, text).ok_or_else(|| {
            let (code, what) = match self.mark {
                REGCLASS => (sqlstate::UNDEFINED_TABLE, "relation"),
                REGPROC | REGPROCEDURE => (sqlstate::UNDEFINED_FUNCTION, "function"),
                REGNAMESPACE => (sqlstate::UNDEFINED_OBJECT, "schema"),
                REGROLE => (sqlstate::UNDEFINED_OBJECT, "role"),
                _ => (sqlstate::UNDEFINED_OBJECT, "type"),
            };
            Refusal::error(code, format!("{what} \"{text}\" does not exist"))
        })
    }
}

/// `regtypeout(x)` and its kind: the text of a `reg*` value (or of each in a list), of an
/// `int2vector` or `oidvector`.
#[derive(Debug)]
struct Output {
    function: &'static str,
    mark: &'static str,
    names: Arc<ObjectNames>,
    signature: Signature,
}

impl PartialEq for Output {
    fn eq(&self, other: &Self) -> bool {
        self.function == other.function
    }
}

impl Eq for Output {}

impl std::hash::Hash for Output {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.function.hash(state);
    }
}

impl Output {
    fn is_vector(&self) -> bool {
        matches!(self.mark, INT2VECTOR | OIDVECTOR)
    }
}

impl ScalarUDFImpl for Output {
    fn name(&self) -> &str {
        self.function
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        let [arg] = args else {
            return plan_err!("{} takes one argument", self.function);
        };
        match arg {
            DataType::List(element) if element.data_type().is_integer() => Ok(vec![arg.clone()]),
            t if is_integer(t) && !self.is_vector() => Ok(vec![DataType::Int32]),
            other => plan_err!("{} does not take {other}", self.function),
        }
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(match args.first() {
            Some(DataType::List(_)) if !self.is_vector() => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
            }
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let scalar = matches!(args.args.first(), Some(ColumnarValue::Scalar(_)));
        let Some(arg) = args.args.first() else {
            return exec_err!("{} takes one argument", self.function);
        };
        let array = arg.to_array(rows)?;
        let result: ArrayRef = match (array.data_type(), self.is_vector()) {
            (DataType::List(_), true) => {
                super::object_names::wire_text(self.mark, false, array.as_ref(), &self.names)?
            }
            (DataType::List(_), false) => {
                let lists = array.as_list::<i32>();
                let oids = cast(lists.values(), &DataType::Int32)?;
                let texts = oid_texts(oids.as_primitive::<Int32Type>(), self.mark, &self.names);
                Arc::new(ListArray::try_new(
                    Arc::new(Field::new_list_field(DataType::Utf8, true)),
                    lists.offsets().clone(),
                    Arc::new(texts),
                    lists.nulls().cloned(),
                )?)
            }
            _ => {
                let oids = cast(&array, &DataType::Int32)?;
                Arc::new(oid_texts(
                    oids.as_primitive::<Int32Type>(),
                    self.mark,
                    &self.names,
                ))
            }
        };
        if scalar && result.len() == 1 {
            return Ok(ColumnarValue::Scalar(
                datafusion::scalar::ScalarValue::try_from_array(&result, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// `name(x)`, what `x::name` becomes: the text of `x`, typed `name`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NameCast {
    signature: Signature,
}

impl ScalarUDFImpl for NameCast {
    fn name(&self) -> &str {
        "name"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match args {
            [_] => Ok(vec![DataType::Utf8]),
            _ => plan_err!("name takes one argument"),
        }
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(tagged(
            &Field::new("name", DataType::Utf8, true),
            NAME,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(ColumnarValue::Scalar(value)) => {
                Ok(ColumnarValue::Scalar(value.cast_to(&DataType::Utf8)?))
            }
            Some(ColumnarValue::Array(array)) => {
                Ok(ColumnarValue::Array(cast(&array, &DataType::Utf8)?))
            }
            None => exec_err!("name takes one argument"),
        }
    }
}
