"""pgcli's completion metadata, loaded through pgcli's own PGExecute (what its completion
refresher calls in the background): schemata, tables, views, their columns, functions, data
types and the search path.

Usage: pgcli_client.py PORT. Prints one JSON object; the Rust side checks the names against
what tokio-postgres reads from the catalog.
"""

import json
import sys

from pgcli.pgexecute import PGExecute

PORT = int(sys.argv[1])
executor = PGExecute(
    database="callqa", user="analyst", password=None, host="127.0.0.1", port=PORT, dsn=None
)

columns = {}
for schema, table, column, type_name, has_default, default in executor.table_columns():
    if schema == "public":
        columns.setdefault(table, []).append([column, type_name, has_default, default])
view_columns = {}
for schema, view, column, type_name, _has_default, _default in executor.view_columns():
    if schema == "public":
        view_columns.setdefault(view, []).append([column, type_name])

functions = {}
for f in executor.functions():
    key = f"{f.schema_name}.{f.func_name}"
    functions.setdefault(key, []).append(
        {
            "arg_types": list(f.arg_types or []),
            "return_type": f.return_type,
            "is_aggregate": f.is_aggregate,
            "is_window": f.is_window,
        }
    )

out = {
    "search_path": executor.search_path(),
    "schemata": executor.schemata(),
    "tables": sorted([s, t] for s, t in executor.tables() if s == "public"),
    "views": sorted([s, v] for s, v in executor.views() if s == "public"),
    "columns": columns,
    "view_columns": view_columns,
    "functions": {
        key: overloads
        for key, overloads in functions.items()
        if key.startswith("public.") or key in ("pg_catalog.now", "pg_catalog.format_type", "pg_catalog.count")
    },
    "function_count": len(functions),
    "datatypes": sorted([s, t] for s, t in executor.datatypes()),
    "databases": executor.databases(),
}
print(json.dumps(out, sort_keys=True))
