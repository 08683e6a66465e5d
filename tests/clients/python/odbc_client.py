"""psqlODBC (the driver Excel, Power BI, Tableau and Access connect through), driven by pyodbc
against callqa: the ODBC catalog calls SQLTables, SQLColumns, SQLStatistics, SQLPrimaryKeys
and SQLForeignKeys, and one query.

Usage: odbc_client.py PORT. Prints one JSON object with each call's rows; the Rust side
checks them against what tokio-postgres reads and what PostgreSQL answers. A driver that
crashes (psqlODBC did, on `indkey` as `{1}`) ends the script with a signal, not JSON.
"""

import json
import sys

import pyodbc

PORT = int(sys.argv[1])
DRIVER = "PostgreSQL Unicode"
assert DRIVER in pyodbc.drivers(), f"psqlODBC is not installed: {pyodbc.drivers()}"

connection = pyodbc.connect(
    f"DRIVER={{{DRIVER}}};SERVER=127.0.0.1;PORT={PORT};DATABASE=callqa;UID=analyst;PWD=;"
    "UseDeclareFetch=0",
    autocommit=True,
)
cursor = connection.cursor()


def rows(result):
    return [list(row) for row in result]


out = {
    "tables": [[r.table_schem, r.table_name, r.table_type] for r in cursor.tables(schema="public")],
    "columns_calls": [
        [r.column_name, r.type_name, r.ordinal_position, r.nullable]
        for r in cursor.columns(table="calls", schema="public")
    ],
    "statistics_utterances": [
        [r.index_name, r.non_unique, r.ordinal_position, r.column_name, r.asc_or_desc]
        for r in cursor.statistics("utterances", schema="public")
        if r.index_name is not None
    ],
    "primary_keys": {
        table: [[r.column_name, r.key_seq, r.pk_name] for r in cursor.primaryKeys(table, schema="public")]
        for table in ["calls", "audio_features"]
    },
    # The keys calls holds (calls.agent_id -> agents) and the keys that refer to calls.
    "foreign_keys_of_calls": [
        [r.pktable_name, r.pkcolumn_name, r.fktable_name, r.fkcolumn_name, r.key_seq, r.fk_name, r.pk_name]
        for r in cursor.foreignKeys(foreignTable="calls", foreignSchema="public")
    ],
    "foreign_keys_to_calls": sorted(
        [r.pktable_name, r.pkcolumn_name, r.fktable_name, r.fkcolumn_name, r.key_seq, r.fk_name, r.pk_name]
        for r in cursor.foreignKeys(table="calls", schema="public")
    ),
}
cursor.execute("select queue, count(*) from calls group by queue order by queue")
out["per_queue"] = {queue: int(n) for queue, n in cursor.fetchall()}
print(json.dumps(out, sort_keys=True))
