//! The catalog columns whose PostgreSQL type is not what their Arrow type would be
//! described as — `name`, `"char"`, `oid`, `regproc`, `regtype`, `int2vector`, `oidvector`
//! — and the functions that return `name`.
//!
//! callqa stores `name` and `"char"` as Arrow text, oids and the `reg*` types as `int4`, the
//! vectors as lists. Clients compare the types in RowDescription (pgjdbc's `getTables`,
//! psqlODBC, ADBC, the differential test against PostgreSQL) and parse the text of some
//! (psqlODBC reads `indkey` as `1 3`), so these columns carry [`PG_TYPE_KEY`] field metadata:
//! the wire describes them as PostgreSQL does and writes their text as PostgreSQL does
//! ([`super::wire_text`]). `name` and `"char"` travel as their text in both formats (a
//! one-character `"char"` is its one byte in binary too); an oid is its four bytes in binary.
//! arrow-pg's own markers are not used: its binary encoder rejects the empty `"char"`
//! PostgreSQL stores for "none" (`attidentity`, `attgenerated`), and the library's
//! `pg.oid_alias` survives casts (`atttypid::text` would still be described as `regtype`).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, ListBuilder, RecordBatch, RecordBatchOptions, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::Result;
use datafusion::execution::context::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::physical_plan::execute_stream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};
use postgres_types::{Kind, Type};

/// Field metadata marking a column as a PostgreSQL type on the wire: Arrow's extension-type
/// name, which DataFusion keeps through column references, aliases, joins and unions but
/// drops on a cast (`relname::text` is `text`, `oid::int4` is `int4`, as in PostgreSQL).
pub const PG_TYPE_KEY: &str = "ARROW:extension:name";

/// The library's oid marker, replaced where callqa marks a column.
const LIBRARY_OID_KEY: &str = "pg.oid_alias";

/// [`PG_TYPE_KEY`] value of `name` columns (text).
pub const NAME: &str = "callqa.name";
/// [`PG_TYPE_KEY`] value of `"char"` columns (text).
pub const CHAR: &str = "callqa.char";
/// [`PG_TYPE_KEY`] value of `varchar` values (text): casts to `varchar` and
/// information_schema's `character_data` columns, which PostgreSQL describes as `varchar`.
pub const VARCHAR: &str = "callqa.varchar";
/// [`PG_TYPE_KEY`] value of `oid` columns (`int4`).
pub const OID: &str = "callqa.oid";
/// [`PG_TYPE_KEY`] value of `regproc` columns (`int4`, shown as the function's name).
pub const REGPROC: &str = "callqa.regproc";
/// [`PG_TYPE_KEY`] value of `regprocedure` values (`int4`, shown as `name(argument types)`).
pub const REGPROCEDURE: &str = "callqa.regprocedure";
/// [`PG_TYPE_KEY`] value of `regtype` columns (`int4`, shown as the type's name).
pub const REGTYPE: &str = "callqa.regtype";
/// [`PG_TYPE_KEY`] value of `regclass` values (`int4`, shown as the relation's name).
pub const REGCLASS: &str = "callqa.regclass";
/// [`PG_TYPE_KEY`] value of `regnamespace` values (`int4`, shown as the schema's name).
pub const REGNAMESPACE: &str = "callqa.regnamespace";
/// [`PG_TYPE_KEY`] value of `regrole` values (`int4`, shown as the role's name).
pub const REGROLE: &str = "callqa.regrole";
/// [`PG_TYPE_KEY`] value of `int2vector` columns (a list of `int2`, shown as `1 3`,
/// subscripted from 0).
pub const INT2VECTOR: &str = "callqa.int2vector";
/// [`PG_TYPE_KEY`] value of `oidvector` columns (a list of `int4`, shown as `23 25`,
/// subscripted from 0).
pub const OIDVECTOR: &str = "callqa.oidvector";

/// [`PG_TYPE_KEY`] value of the elements of `aclitem[]` columns (text, `=r/postgres`).
pub const ACLITEM: &str = "callqa.aclitem";
/// In [`COLUMNS`]: an `aclitem[]` column, stored as a list of text whose elements are marked
/// [`ACLITEM`] (the library holds their text, `{…}`, or an untyped list).
const ACLITEM_ARRAY: &str = "callqa.aclitem[]";

/// The PostgreSQL type of each mark, and whether it marks a list (the vectors).
const MARKS: [(&str, Type); 13] = [
    (NAME, Type::NAME),
    (CHAR, Type::CHAR),
    (VARCHAR, Type::VARCHAR),
    (OID, Type::OID),
    (REGPROC, Type::REGPROC),
    (REGPROCEDURE, Type::REGPROCEDURE),
    (REGTYPE, Type::REGTYPE),
    (REGCLASS, Type::REGCLASS),
    (REGNAMESPACE, Type::REGNAMESPACE),
    (REGROLE, Type::REGROLE),
    (INT2VECTOR, Type::INT2_VECTOR),
    (OIDVECTOR, Type::OID_VECTOR),
    (ACLITEM, Type::ACLITEM),
];

/// The mark of `field`, if it has one.
pub fn mark_of(field: &Field) -> Option<&'static str> {
    let value = field.metadata().get(PG_TYPE_KEY)?;
    MARKS.iter().map(|(m, _)| *m).find(|m| m == value)
}

/// The PostgreSQL type a marked column is described as — also a list of marked oids
/// (`regtype[]`, `oid[]`); `None` for other columns.
pub fn wire_type(field: &Field) -> Option<Type> {
    if let DataType::List(element) = field.data_type()
        && mark_of(field).is_none()
    {
        let element = wire_type(element)?;
        return array_of(&element);
    }
    let mark = mark_of(field)?;
    if !fits(mark, field.data_type()) {
        return None;
    }
    MARKS
        .iter()
        .find(|(m, _)| *m == mark)
        .map(|(_, t)| t.clone())
}

/// The array type of a marked element type.
fn array_of(element: &Type) -> Option<Type> {
    [
        Type::NAME_ARRAY,
        Type::CHAR_ARRAY,
        Type::OID_ARRAY,
        Type::REGPROC_ARRAY,
        Type::REGPROCEDURE_ARRAY,
        Type::REGTYPE_ARRAY,
        Type::REGCLASS_ARRAY,
        Type::REGNAMESPACE_ARRAY,
        Type::REGROLE_ARRAY,
        Type::ACLITEM_ARRAY,
    ]
    .into_iter()
    .find(|array| matches!(array.kind(), Kind::Array(e) if e == element))
}

/// Whether a column of `data_type` holds values of the marked type the way callqa stores
/// them: text for `name` / `"char"`, `int4` for oids, a list of `int2` / `int4` for vectors.
pub fn fits(mark: &str, data_type: &DataType) -> bool {
    match mark {
        NAME | CHAR | VARCHAR | ACLITEM => is_text(data_type),
        INT2VECTOR => {
            matches!(data_type, DataType::List(e) if e.data_type() == &DataType::Int16)
        }
        OIDVECTOR => {
            matches!(data_type, DataType::List(e) if e.data_type() == &DataType::Int32)
        }
        _ => data_type == &DataType::Int32,
    }
}

/// The columns of PostgreSQL 15's pg_catalog tables and views whose type is `name`, `"char"`,
/// `oid`, `regproc`, `regtype`, `int2vector`, `oidvector` or `aclitem[]` (from `pg_attribute`); tables
/// callqa does not have are skipped, and a column is marked only where callqa stores it in
/// that type's Arrow form ([`fits`]).
const COLUMNS: &[(&str, &[(&str, &str)])] = &[
    (
        "pg_aggregate",
        &[
            ("aggfnoid", REGPROC),
            ("aggkind", CHAR),
            ("aggtransfn", REGPROC),
            ("aggfinalfn", REGPROC),
            ("aggcombinefn", REGPROC),
            ("aggserialfn", REGPROC),
            ("aggdeserialfn", REGPROC),
            ("aggmtransfn", REGPROC),
            ("aggminvtransfn", REGPROC),
            ("aggmfinalfn", REGPROC),
            ("aggfinalmodify", CHAR),
            ("aggmfinalmodify", CHAR),
            ("aggsortop", OID),
            ("aggtranstype", OID),
            ("aggmtranstype", OID),
        ],
    ),
    (
        "pg_am",
        &[
            ("oid", OID),
            ("amname", NAME),
            ("amhandler", REGPROC),
            ("amtype", CHAR),
        ],
    ),
    (
        "pg_amop",
        &[
            ("oid", OID),
            ("amopfamily", OID),
            ("amoplefttype", OID),
            ("amoprighttype", OID),
            ("amoppurpose", CHAR),
            ("amopopr", OID),
            ("amopmethod", OID),
            ("amopsortfamily", OID),
        ],
    ),
    (
        "pg_amproc",
        &[
            ("oid", OID),
            ("amprocfamily", OID),
            ("amproclefttype", OID),
            ("amprocrighttype", OID),
            ("amproc", REGPROC),
        ],
    ),
    ("pg_attrdef", &[("oid", OID), ("adrelid", OID)]),
    (
        "pg_attribute",
        &[
            ("attacl", ACLITEM_ARRAY),
            ("attrelid", OID),
            ("attname", NAME),
            ("atttypid", OID),
            ("attalign", CHAR),
            ("attstorage", CHAR),
            ("attcompression", CHAR),
            ("attidentity", CHAR),
            ("attgenerated", CHAR),
            ("attcollation", OID),
        ],
    ),
    (
        "pg_auth_members",
        &[("roleid", OID), ("member", OID), ("grantor", OID)],
    ),
    ("pg_authid", &[("oid", OID), ("rolname", NAME)]),
    (
        "pg_available_extension_versions",
        &[("name", NAME), ("schema", NAME)],
    ),
    ("pg_available_extensions", &[("name", NAME)]),
    (
        "pg_cast",
        &[
            ("oid", OID),
            ("castsource", OID),
            ("casttarget", OID),
            ("castfunc", OID),
            ("castcontext", CHAR),
            ("castmethod", CHAR),
        ],
    ),
    (
        "pg_class",
        &[
            ("relacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("relname", NAME),
            ("relnamespace", OID),
            ("reltype", OID),
            ("reloftype", OID),
            ("relowner", OID),
            ("relam", OID),
            ("relfilenode", OID),
            ("reltablespace", OID),
            ("reltoastrelid", OID),
            ("relpersistence", CHAR),
            ("relkind", CHAR),
            ("relreplident", CHAR),
            ("relrewrite", OID),
        ],
    ),
    (
        "pg_collation",
        &[
            ("oid", OID),
            ("collname", NAME),
            ("collnamespace", OID),
            ("collowner", OID),
            ("collprovider", CHAR),
        ],
    ),
    (
        "pg_constraint",
        &[
            ("oid", OID),
            ("conname", NAME),
            ("connamespace", OID),
            ("contype", CHAR),
            ("conrelid", OID),
            ("contypid", OID),
            ("conindid", OID),
            ("conparentid", OID),
            ("confrelid", OID),
            ("confupdtype", CHAR),
            ("confdeltype", CHAR),
            ("confmatchtype", CHAR),
        ],
    ),
    (
        "pg_conversion",
        &[
            ("oid", OID),
            ("conname", NAME),
            ("connamespace", OID),
            ("conowner", OID),
            ("conproc", REGPROC),
        ],
    ),
    (
        "pg_database",
        &[
            ("datacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("datname", NAME),
            ("datdba", OID),
            ("datlocprovider", CHAR),
            ("dattablespace", OID),
        ],
    ),
    (
        "pg_db_role_setting",
        &[("setdatabase", OID), ("setrole", OID)],
    ),
    (
        "pg_default_acl",
        &[
            ("defaclacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("defaclrole", OID),
            ("defaclnamespace", OID),
            ("defaclobjtype", CHAR),
        ],
    ),
    (
        "pg_depend",
        &[
            ("classid", OID),
            ("objid", OID),
            ("refclassid", OID),
            ("refobjid", OID),
            ("deptype", CHAR),
        ],
    ),
    ("pg_description", &[("objoid", OID), ("classoid", OID)]),
    (
        "pg_enum",
        &[("oid", OID), ("enumtypid", OID), ("enumlabel", NAME)],
    ),
    (
        "pg_event_trigger",
        &[
            ("oid", OID),
            ("evtname", NAME),
            ("evtevent", NAME),
            ("evtowner", OID),
            ("evtfoid", OID),
            ("evtenabled", CHAR),
        ],
    ),
    (
        "pg_extension",
        &[
            ("oid", OID),
            ("extname", NAME),
            ("extowner", OID),
            ("extnamespace", OID),
        ],
    ),
    (
        "pg_foreign_data_wrapper",
        &[
            ("fdwacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("fdwname", NAME),
            ("fdwowner", OID),
            ("fdwhandler", OID),
            ("fdwvalidator", OID),
        ],
    ),
    (
        "pg_foreign_server",
        &[
            ("srvacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("srvname", NAME),
            ("srvowner", OID),
            ("srvfdw", OID),
        ],
    ),
    ("pg_foreign_table", &[("ftrelid", OID), ("ftserver", OID)]),
    ("pg_group", &[("groname", NAME), ("grosysid", OID)]),
    (
        "pg_index",
        &[
            ("indexrelid", OID),
            ("indrelid", OID),
            ("indkey", INT2VECTOR),
            ("indcollation", OIDVECTOR),
            ("indclass", OIDVECTOR),
            ("indoption", INT2VECTOR),
        ],
    ),
    (
        "pg_indexes",
        &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("indexname", NAME),
            ("tablespace", NAME),
        ],
    ),
    ("pg_inherits", &[("inhrelid", OID), ("inhparent", OID)]),
    (
        "pg_init_privs",
        &[
            ("initprivs", ACLITEM_ARRAY),
            ("objoid", OID),
            ("classoid", OID),
            ("privtype", CHAR),
        ],
    ),
    (
        "pg_language",
        &[
            ("lanacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("lanname", NAME),
            ("lanowner", OID),
            ("lanplcallfoid", OID),
            ("laninline", OID),
            ("lanvalidator", OID),
        ],
    ),
    ("pg_largeobject", &[("loid", OID)]),
    (
        "pg_largeobject_metadata",
        &[("lomacl", ACLITEM_ARRAY), ("oid", OID), ("lomowner", OID)],
    ),
    (
        "pg_matviews",
        &[
            ("schemaname", NAME),
            ("matviewname", NAME),
            ("matviewowner", NAME),
            ("tablespace", NAME),
        ],
    ),
    (
        "pg_namespace",
        &[
            ("nspacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("nspname", NAME),
            ("nspowner", OID),
        ],
    ),
    (
        "pg_opclass",
        &[
            ("oid", OID),
            ("opcmethod", OID),
            ("opcname", NAME),
            ("opcnamespace", OID),
            ("opcowner", OID),
            ("opcfamily", OID),
            ("opcintype", OID),
            ("opckeytype", OID),
        ],
    ),
    (
        "pg_operator",
        &[
            ("oid", OID),
            ("oprname", NAME),
            ("oprnamespace", OID),
            ("oprowner", OID),
            ("oprkind", CHAR),
            ("oprleft", OID),
            ("oprright", OID),
            ("oprresult", OID),
            ("oprcom", OID),
            ("oprnegate", OID),
            ("oprcode", REGPROC),
            ("oprrest", REGPROC),
            ("oprjoin", REGPROC),
        ],
    ),
    (
        "pg_opfamily",
        &[
            ("oid", OID),
            ("opfmethod", OID),
            ("opfname", NAME),
            ("opfnamespace", OID),
            ("opfowner", OID),
        ],
    ),
    (
        "pg_parameter_acl",
        &[("oid", OID), ("paracl", ACLITEM_ARRAY)],
    ),
    (
        "pg_partitioned_table",
        &[
            ("partrelid", OID),
            ("partstrat", CHAR),
            ("partdefid", OID),
            ("partattrs", INT2VECTOR),
            ("partclass", OIDVECTOR),
            ("partcollation", OIDVECTOR),
        ],
    ),
    (
        "pg_policy",
        &[
            ("oid", OID),
            ("polname", NAME),
            ("polrelid", OID),
            ("polcmd", CHAR),
        ],
    ),
    (
        "pg_proc",
        &[
            ("proacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("proname", NAME),
            ("pronamespace", OID),
            ("proowner", OID),
            ("prolang", OID),
            ("provariadic", OID),
            ("prosupport", REGPROC),
            ("prokind", CHAR),
            ("provolatile", CHAR),
            ("proparallel", CHAR),
            ("prorettype", OID),
            ("proargtypes", OIDVECTOR),
        ],
    ),
    (
        "pg_publication",
        &[("oid", OID), ("pubname", NAME), ("pubowner", OID)],
    ),
    (
        "pg_publication_namespace",
        &[("oid", OID), ("pnpubid", OID), ("pnnspid", OID)],
    ),
    (
        "pg_publication_rel",
        &[
            ("oid", OID),
            ("prpubid", OID),
            ("prrelid", OID),
            ("prattrs", INT2VECTOR),
        ],
    ),
    (
        "pg_range",
        &[
            ("rngtypid", OID),
            ("rngsubtype", OID),
            ("rngmultitypid", OID),
            ("rngcollation", OID),
            ("rngsubopc", OID),
            ("rngcanonical", REGPROC),
            ("rngsubdiff", REGPROC),
        ],
    ),
    ("pg_replication_origin", &[("roident", OID)]),
    (
        "pg_replication_slots",
        &[
            ("slot_name", NAME),
            ("plugin", NAME),
            ("datoid", OID),
            ("database", NAME),
        ],
    ),
    (
        "pg_rewrite",
        &[
            ("oid", OID),
            ("rulename", NAME),
            ("ev_class", OID),
            ("ev_type", CHAR),
            ("ev_enabled", CHAR),
        ],
    ),
    ("pg_roles", &[("rolname", NAME), ("oid", OID)]),
    ("pg_seclabel", &[("objoid", OID), ("classoid", OID)]),
    ("pg_sequence", &[("seqrelid", OID), ("seqtypid", OID)]),
    (
        "pg_sequences",
        &[
            ("schemaname", NAME),
            ("sequencename", NAME),
            ("sequenceowner", NAME),
            ("data_type", REGTYPE),
        ],
    ),
    ("pg_shadow", &[("usename", NAME), ("usesysid", OID)]),
    (
        "pg_shdepend",
        &[
            ("dbid", OID),
            ("classid", OID),
            ("objid", OID),
            ("refclassid", OID),
            ("refobjid", OID),
            ("deptype", CHAR),
        ],
    ),
    ("pg_shdescription", &[("objoid", OID), ("classoid", OID)]),
    ("pg_shseclabel", &[("objoid", OID), ("classoid", OID)]),
    (
        "pg_stat_activity",
        &[
            ("datid", OID),
            ("datname", NAME),
            ("usesysid", OID),
            ("usename", NAME),
        ],
    ),
    ("pg_stat_database", &[("datid", OID), ("datname", NAME)]),
    (
        "pg_stat_user_tables",
        &[("relid", OID), ("schemaname", NAME), ("relname", NAME)],
    ),
    (
        "pg_statistic",
        &[
            ("starelid", OID),
            ("staop1", OID),
            ("staop2", OID),
            ("staop3", OID),
            ("staop4", OID),
            ("staop5", OID),
            ("stacoll1", OID),
            ("stacoll2", OID),
            ("stacoll3", OID),
            ("stacoll4", OID),
            ("stacoll5", OID),
        ],
    ),
    (
        "pg_statistic_ext",
        &[
            ("oid", OID),
            ("stxrelid", OID),
            ("stxname", NAME),
            ("stxnamespace", OID),
            ("stxowner", OID),
            ("stxkeys", INT2VECTOR),
        ],
    ),
    ("pg_statistic_ext_data", &[("stxoid", OID)]),
    (
        "pg_subscription",
        &[
            ("oid", OID),
            ("subdbid", OID),
            ("subname", NAME),
            ("subowner", OID),
            ("subtwophasestate", CHAR),
            ("subslotname", NAME),
        ],
    ),
    (
        "pg_subscription_rel",
        &[("srsubid", OID), ("srrelid", OID), ("srsubstate", CHAR)],
    ),
    (
        "pg_tables",
        &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("tableowner", NAME),
            ("tablespace", NAME),
        ],
    ),
    (
        "pg_tablespace",
        &[
            ("spcacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("spcname", NAME),
            ("spcowner", OID),
        ],
    ),
    (
        "pg_trigger",
        &[
            ("oid", OID),
            ("tgrelid", OID),
            ("tgparentid", OID),
            ("tgname", NAME),
            ("tgfoid", OID),
            ("tgenabled", CHAR),
            ("tgconstrrelid", OID),
            ("tgconstrindid", OID),
            ("tgconstraint", OID),
            ("tgattr", INT2VECTOR),
            ("tgoldtable", NAME),
            ("tgnewtable", NAME),
        ],
    ),
    (
        "pg_ts_config",
        &[
            ("oid", OID),
            ("cfgname", NAME),
            ("cfgnamespace", OID),
            ("cfgowner", OID),
            ("cfgparser", OID),
        ],
    ),
    (
        "pg_ts_dict",
        &[
            ("oid", OID),
            ("dictname", NAME),
            ("dictnamespace", OID),
            ("dictowner", OID),
            ("dicttemplate", OID),
        ],
    ),
    (
        "pg_ts_parser",
        &[
            ("oid", OID),
            ("prsname", NAME),
            ("prsnamespace", OID),
            ("prsstart", REGPROC),
            ("prstoken", REGPROC),
            ("prsend", REGPROC),
            ("prsheadline", REGPROC),
            ("prslextype", REGPROC),
        ],
    ),
    (
        "pg_ts_template",
        &[
            ("oid", OID),
            ("tmplname", NAME),
            ("tmplnamespace", OID),
            ("tmplinit", REGPROC),
            ("tmpllexize", REGPROC),
        ],
    ),
    (
        "pg_type",
        &[
            ("typacl", ACLITEM_ARRAY),
            ("oid", OID),
            ("typname", NAME),
            ("typnamespace", OID),
            ("typowner", OID),
            ("typtype", CHAR),
            ("typcategory", CHAR),
            ("typdelim", CHAR),
            ("typrelid", OID),
            ("typsubscript", REGPROC),
            ("typelem", OID),
            ("typarray", OID),
            ("typinput", REGPROC),
            ("typoutput", REGPROC),
            ("typreceive", REGPROC),
            ("typsend", REGPROC),
            ("typmodin", REGPROC),
            ("typmodout", REGPROC),
            ("typanalyze", REGPROC),
            ("typalign", CHAR),
            ("typstorage", CHAR),
            ("typbasetype", OID),
            ("typcollation", OID),
        ],
    ),
    ("pg_user", &[("usename", NAME), ("usesysid", OID)]),
    (
        "pg_user_mapping",
        &[("oid", OID), ("umuser", OID), ("umserver", OID)],
    ),
    (
        "pg_views",
        &[
            ("schemaname", NAME),
            ("viewname", NAME),
            ("viewowner", NAME),
        ],
    ),
];

/// The type of an `aclitem[]` column: a list of text, its elements marked [`ACLITEM`].
pub fn aclitem_array_type() -> DataType {
    DataType::List(Arc::new(tagged(
        &Field::new_list_field(DataType::Utf8, true),
        ACLITEM,
    )))
}

/// `field` as an `aclitem[]` column, if it holds privileges as text or as a list; `None`
/// when it is one already or holds something else.
fn as_aclitem_array(field: &Field) -> Option<Field> {
    let target = aclitem_array_type();
    let stored = field.data_type();
    let convertible = is_text(stored) || matches!(stored, DataType::List(_));
    (convertible && stored != &target).then(|| {
        let mut metadata = field.metadata().clone();
        metadata.remove(LIBRARY_OID_KEY);
        metadata.remove(PG_TYPE_KEY);
        field
            .clone()
            .with_data_type(target)
            .with_nullable(true)
            .with_metadata(metadata)
    })
}

/// Whether values of this type can be described as `name` / `"char"` (text of any kind).
fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    )
}

/// `field` marked as the PostgreSQL type `pg_type` (one of the marks above), the library's
/// oid marker dropped.
pub fn tagged(field: &Field, pg_type: &str) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.remove(LIBRARY_OID_KEY);
    metadata.insert(PG_TYPE_KEY.to_owned(), pg_type.to_owned());
    field.clone().with_metadata(metadata)
}

/// `schema` of pg_catalog table `table` with its columns marked as PostgreSQL types them;
/// `None` when nothing changes.
fn tagged_schema(table: &str, schema: &Schema) -> Option<SchemaRef> {
    let (_, columns) = COLUMNS.iter().find(|(name, _)| *name == table)?;
    let mut changed = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(
            |f| match columns.iter().find(|(column, _)| column == f.name()) {
                Some((_, pg_type)) if *pg_type == ACLITEM_ARRAY => match as_aclitem_array(f) {
                    Some(field) => {
                        changed = true;
                        field
                    }
                    None => f.as_ref().clone(),
                },
                Some((_, pg_type))
                    if fits(pg_type, f.data_type())
                        && (f.metadata().get(PG_TYPE_KEY).map(String::as_str) != Some(pg_type)
                            || f.metadata().contains_key(LIBRARY_OID_KEY)) =>
                {
                    changed = true;
                    tagged(f, pg_type)
                }
                _ => f.as_ref().clone(),
            },
        )
        .collect();
    changed.then(|| Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())))
}

/// pg_catalog table `table` with its columns marked, or as it is when none needs it.
pub fn mark(table: &str, provider: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let schema = provider.schema();
    let Some(schema) = tagged_schema(table, &schema) else {
        return provider;
    };
    let partition = Arc::new(Marked {
        schema: Arc::clone(&schema),
        inner: Arc::clone(&provider),
    });
    match StreamingTable::try_new(schema, vec![partition]) {
        Ok(streaming) => Arc::new(streaming),
        // Cannot happen (the partition's schema is the table's); unmarked is still right.
        Err(_) => provider,
    }
}

/// The rows of `inner` under `schema` (the same columns, marked).
#[derive(Debug)]
struct Marked {
    schema: SchemaRef,
    inner: Arc<dyn TableProvider>,
}

impl PartitionStream for Marked {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        let inner = Arc::clone(&self.inner);
        let rows = futures::stream::once(async move {
            // The catalog tables read nothing of the session but its configuration.
            let state: SessionState = SessionStateBuilder::new()
                .with_config(ctx.session_config().clone())
                .with_runtime_env(ctx.runtime_env())
                .build();
            let plan = inner.scan(&state, None, &[], None).await?;
            execute_stream(plan, ctx)
        })
        .try_flatten();
        let relabel = Arc::clone(&schema);
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            rows.map(move |batch| batch.and_then(|b| relabelled(&b, &relabel))),
        ))
    }
}

/// `batch` under `schema`: same columns, cast where the inner table's batches differ from
/// its declared schema.
fn relabelled(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields().iter())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else if is_text(column.data_type()) && matches!(field.data_type(), DataType::List(_))
            {
                text_arrays(column, field.data_type())
            } else {
                cast(column, field.data_type())
            }
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

/// A column of PostgreSQL array text (`{a,b}`, NULL) as a list column of `data_type`.
fn text_arrays(
    column: &ArrayRef,
    data_type: &DataType,
) -> Result<ArrayRef, datafusion::arrow::error::ArrowError> {
    let texts = cast(column, &DataType::Utf8)?;
    let mut builder = ListBuilder::new(StringBuilder::new());
    for text in texts.as_string::<i32>().iter() {
        match text.and_then(array_elements) {
            Some(elements) => {
                for element in elements {
                    builder.values().append_value(element);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    let lists: ArrayRef = Arc::new(builder.finish());
    cast(&lists, data_type)
}

/// The elements of a one-dimensional PostgreSQL array's text whose elements need no quotes
/// (privileges: `{postgres=X/postgres,=X/postgres}`); `None` for text that is no array.
fn array_elements(text: &str) -> Option<Vec<&str>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    Some(if inner.is_empty() {
        Vec::new()
    } else {
        inner.split(',').collect()
    })
}

/// A function of no arguments returning one fixed `name`: `current_schema()`,
/// `current_database()`, `current_user`, `session_user`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NameValue {
    name: String,
    value: String,
    signature: Signature,
}

impl NameValue {
    /// The function `name`, answering `value` (Stable, as in PostgreSQL: constant for a
    /// statement, not folded into plans).
    pub fn udf(name: &str, value: &str) -> ScalarUDF {
        ScalarUDF::new_from_impl(NameValue {
            name: name.to_owned(),
            value: value.to_owned(),
            signature: Signature::nullary(Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for NameValue {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(tagged(
            &Field::new(&self.name, DataType::Utf8, false),
            NAME,
        )))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            self.value.clone(),
        ))))
    }
}

/// A function of datafusion-pg-catalog's whose result PostgreSQL types `name`
/// (`pg_get_userbyid`, `pg_encoding_to_char`): the same function, its result marked.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NameResult {
    inner: ScalarUDF,
}

impl ScalarUDFImpl for NameResult {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        self.inner.return_type(args)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let field = self.inner.return_field_from_args(args)?;
        Ok(Arc::new(tagged(&field, NAME)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.inner.invoke_with_args(args)
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(args)
    }
}

/// Registers `current_schema()` and `current_database()` returning `name`, with the values
/// datafusion-pg-catalog gives them, and marks the results of its other `name` functions.
pub fn register(ctx: &SessionContext, database: &str) {
    ctx.register_udf(NameValue::udf(
        "current_schema",
        crate::data::schema::SCHEMA,
    ));
    ctx.register_udf(NameValue::udf("current_database", database));
    for name in ["pg_get_userbyid", "pg_encoding_to_char"] {
        if let Ok(inner) = datafusion::execution::FunctionRegistry::udf(ctx, name) {
            let inner = inner.as_ref().clone();
            ctx.register_udf(ScalarUDF::new_from_impl(NameResult { inner }));
        }
    }
}
