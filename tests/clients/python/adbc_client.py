"""The ADBC PostgreSQL driver (adbc-driver-postgresql, what polars' engine="adbc" uses)
against callqa: connecting (the driver reads pg_attribute and pg_type's typreceive/typsend
at connect), a query read into Arrow, a table's Arrow schema and the catalog listing.

Usage: adbc_client.py PORT. Queries are read over the extended protocol (the driver's
`use_copy` off); its default, `COPY (query) TO STDOUT (FORMAT binary)`, is binary COPY's.
Prints one JSON object; the Rust side compares it with tokio-postgres.
"""

import json
import sys

import adbc_driver_postgresql.dbapi as dbapi
from adbc_driver_postgresql import StatementOptions

PORT = int(sys.argv[1])
uri = f"postgresql://analyst@127.0.0.1:{PORT}/callqa?sslmode=disable"

with dbapi.connect(uri) as connection:
    with connection.cursor() as cursor:
        cursor.adbc_statement.set_options(**{StatementOptions.USE_COPY.value: "false"})
        cursor.execute("select queue, count(*) as calls from calls group by queue order by queue")
        table = cursor.fetch_arrow_table()
    schema = connection.adbc_get_table_schema("calls")
    catalogs = connection.adbc_get_objects(depth="db_schemas").read_all().to_pylist()

out = {
    "query_types": [str(t) for t in table.schema.types],
    "per_queue": {row["queue"]: row["calls"] for row in table.to_pylist()},
    "calls_schema": [[field.name, str(field.type)] for field in schema],
    "catalogs": sorted(
        [c["catalog_name"], sorted(s["db_schema_name"] for s in c["catalog_db_schemas"] or [])]
        for c in catalogs
    ),
}
print(json.dumps(out, sort_keys=True))
