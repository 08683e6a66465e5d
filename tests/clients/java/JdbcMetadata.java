// pgjdbc — the driver of Metabase and DBeaver — against a running callqa: DatabaseMetaData,
// prepared statements with typed parameters, ResultSetMetaData and the statements Metabase
// sends on connect and sync. Prints one tab-separated line per row, prefixed by its section;
// tests/clients/jdbc.rs checks the answers. Usage: java -cp postgresql.jar JdbcMetadata.java PORT
import java.sql.*;

public class JdbcMetadata {
    static void print(String section, ResultSet rs, String... columns) throws SQLException {
        while (rs.next()) {
            StringBuilder line = new StringBuilder(section);
            for (String column : columns) line.append('\t').append(rs.getString(column));
            System.out.println(line);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/callqa?user=analyst&ApplicationName=Metabase";
        try (Connection c = DriverManager.getConnection(url)) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("product\t" + md.getDatabaseProductName() + "\t" + md.getDatabaseMajorVersion());
            print("schema", md.getSchemas(), "TABLE_SCHEM");
            print("table", md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"}),
                "TABLE_NAME", "TABLE_TYPE", "REMARKS");
            print("column", md.getColumns(null, "public", "calls", "%"),
                "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE", "NULLABLE", "ORDINAL_POSITION", "REMARKS");
            for (String table : new String[] {"calls", "utterances", "audio_features"}) {
                print("pk", md.getPrimaryKeys(null, "public", table), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
                print("index", md.getIndexInfo(null, "public", table, false, true),
                    "TABLE_NAME", "INDEX_NAME", "NON_UNIQUE", "ORDINAL_POSITION", "COLUMN_NAME");
            }
            for (String table : new String[] {"calls", "utterances"}) {
                print("imported", md.getImportedKeys(null, "public", table),
                    "FKTABLE_NAME", "FKCOLUMN_NAME", "PKTABLE_NAME", "PKCOLUMN_NAME", "KEY_SEQ", "FK_NAME", "PK_NAME");
            }
            print("exported", md.getExportedKeys(null, "public", "calls"), "FKTABLE_NAME", "FKCOLUMN_NAME");
            print("function", md.getFunctions(null, "public", "%"), "FUNCTION_NAME", "FUNCTION_TYPE");

            try (PreparedStatement p = c.prepareStatement(
                    "select count(*) from calls where transfers >= ? and talk_ms > ? and queue = ? "
                    + "and started_at >= ? and date <= ?")) {
                p.setInt(1, 1);
                p.setLong(2, 60000L);
                p.setString(3, "billing");
                p.setTimestamp(4, Timestamp.valueOf("2026-10-08 00:00:00"));
                p.setDate(5, java.sql.Date.valueOf("2026-10-15"));
                print("prepared", p.executeQuery(), "count");
            }
            try (PreparedStatement p = c.prepareStatement(
                    "select count(*) from audio_features where pitch_hz > ? and call_id = ?")) {
                p.setDouble(1, 180.5);
                p.setString(2, "C20261005-000001");
                print("prepared_double", p.executeQuery(), "count");
            }
            // A double against a bigint column compares as double precision, as in Postgres.
            try (PreparedStatement p = c.prepareStatement("select count(*) from calls where talk_ms > ?")) {
                p.setDouble(1, 60000.5);
                print("prepared_double_on_bigint", p.executeQuery(), "count");
            }
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select call_id, talk_ms, transfers, complaint, started_at, date, "
                     + "sentiment(text) as score from calls join utterances using (call_id, date) limit 1")) {
                ResultSetMetaData m = rs.getMetaData();
                for (int i = 1; i <= m.getColumnCount(); i++) {
                    System.out.println("rsmd\t" + m.getColumnLabel(i) + "\t" + m.getColumnTypeName(i) + "\t" + m.getColumnType(i));
                }
            }
            // What Metabase sends when it connects and syncs.
            try (Statement s = c.createStatement()) {
                for (String sql : new String[] {
                        "SET extra_float_digits = 3", "SET application_name = 'Metabase'",
                        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"}) {
                    s.execute(sql);
                    System.out.println("set\t" + sql);
                }
                print("isolation", s.executeQuery("SHOW TRANSACTION ISOLATION LEVEL"), "transaction_isolation");
                print("timezone", s.executeQuery("show timezone"), "TimeZone");
                print("privileges", s.executeQuery(
                    "with table_privileges as (select NULL as role, t.schemaname as schema, t.objectname as table, "
                    + "pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'update') as update, "
                    + "pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'select') as select, "
                    + "pg_catalog.has_any_column_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'insert') as insert, "
                    + "pg_catalog.has_table_privilege(current_user, '\"' || replace(t.schemaname, '\"', '\"\"') || '\"' || '.' || '\"' || replace(t.objectname, '\"', '\"\"') || '\"', 'delete') as delete "
                    + "from (select schemaname, tablename as objectname from pg_catalog.pg_tables union select schemaname, viewname as objectname from pg_catalog.pg_views "
                    + "union select schemaname, matviewname as objectname from pg_catalog.pg_matviews) t "
                    + "where t.schemaname !~ '^pg_' and t.schemaname <> 'information_schema' and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')) "
                    + "select t.* from table_privileges t order by t.table"),
                    "table", "select", "update", "insert", "delete");
                print("describe", s.executeQuery(
                    "SELECT n.nspname AS schema, c.relname AS name, CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' "
                    + "WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS type, d.description AS description, stat.n_live_tup AS estimated_row_count "
                    + "FROM pg_catalog.pg_class c INNER JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid "
                    + "LEFT JOIN pg_catalog.pg_description d ON ((c.oid = d.objoid) AND (d.objsubid = 0) AND (d.classoid = 'pg_class'::regclass)) "
                    + "LEFT JOIN pg_stat_user_tables stat ON ((n.nspname = stat.schemaname) AND (c.relname = stat.relname)) "
                    + "WHERE ((c.relnamespace = n.oid) AND (c.relkind IN ('r', 'p', 'v', 'f', 'm')) AND (n.nspname !~ '^information_schema|catalog_history|pg_') "
                    + "AND (n.nspname IN ('public'))) ORDER BY type ASC, schema ASC, name ASC"),
                    "name", "type", "description");
                print("is_columns", s.executeQuery(
                    "select column_name, data_type, udt_name, is_nullable from information_schema.columns "
                    + "where table_schema = 'public' and table_name = 'calls' order by ordinal_position"),
                    "column_name", "data_type", "udt_name", "is_nullable");
                print("is_keys", s.executeQuery(
                    "select tc.table_name, tc.constraint_type, kcu.column_name, ccu.table_name as referenced_table, ccu.column_name as referenced_column "
                    + "from information_schema.table_constraints tc "
                    + "join information_schema.key_column_usage kcu on tc.constraint_name = kcu.constraint_name and tc.table_schema = kcu.table_schema "
                    + "join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema "
                    + "where tc.constraint_type = 'FOREIGN KEY' order by 1, 3"),
                    "table_name", "constraint_type", "column_name", "referenced_table", "referenced_column");
            }
        }
    }
}
