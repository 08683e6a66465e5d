// Runs native SQL questions through pgjdbc the way Metabase runs a saved native question:
// a read-only connection, autocommit off, a forward-only prepared statement with a fetch size
// (so pgjdbc fetches through a portal, 500 rows at a time), then a rollback.
//
// Usage: java -cp /usr/share/java/postgresql.jar RunQueries.java PORT < queries
// The queries on stdin are separated by lines holding only "-- @@next". For each query it
// prints "#query N", a tab-separated header of column labels, one tab-separated line per row
// (getString; NULL as \N) and "#rows COUNT"; a failing query prints "#error SQLSTATE message"
// instead and the exit code becomes 1. tests/clients/metabase.rs checks the answers.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.*;
import java.util.ArrayList;
import java.util.List;

public class RunQueries {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0]
            + "/callqa?user=analyst&ApplicationName=Metabase%20RunQueries";
        List<String> queries = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.trim().equals("-- @@next")) {
                queries.add(current.toString());
                current.setLength(0);
            } else {
                current.append(line).append('\n');
            }
        }
        if (!current.toString().isBlank()) queries.add(current.toString());

        boolean failed = false;
        try (Connection c = DriverManager.getConnection(url)) {
            // What Metabase's sql-jdbc driver does to a connection before a query.
            c.setTransactionIsolation(Connection.TRANSACTION_READ_UNCOMMITTED);
            c.setReadOnly(true);
            c.setAutoCommit(false);
            c.setHoldability(ResultSet.CLOSE_CURSORS_AT_COMMIT);
            for (int n = 0; n < queries.size(); n++) {
                System.out.println("#query " + (n + 1));
                try (PreparedStatement st = c.prepareStatement(queries.get(n),
                        ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY,
                        ResultSet.CLOSE_CURSORS_AT_COMMIT)) {
                    st.setFetchDirection(ResultSet.FETCH_FORWARD);
                    st.setFetchSize(500);
                    try (ResultSet rs = st.executeQuery()) {
                        ResultSetMetaData md = rs.getMetaData();
                        StringBuilder header = new StringBuilder();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            if (i > 1) header.append('\t');
                            header.append(md.getColumnLabel(i));
                        }
                        System.out.println(header);
                        int rows = 0;
                        while (rs.next()) {
                            StringBuilder line = new StringBuilder();
                            for (int i = 1; i <= md.getColumnCount(); i++) {
                                if (i > 1) line.append('\t');
                                String v = rs.getString(i);
                                line.append(v == null ? "\\N" : v.replace('\t', ' ').replace('\n', ' '));
                            }
                            System.out.println(line);
                            rows++;
                        }
                        System.out.println("#rows " + rows);
                    }
                    c.rollback();
                } catch (SQLException e) {
                    failed = true;
                    System.out.println("#error " + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
                    try { c.rollback(); } catch (SQLException ignored) { }
                }
            }
        }
        System.exit(failed ? 1 : 0);
    }
}
