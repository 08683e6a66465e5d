-- psql tab completion: the queries psql sends when the user presses TAB.
-- psql 15 forms were captured from psql 15.20 (through a logging proxy in front of PostgreSQL);
-- psql 14 and older forms (quote_ident/substring, still common on clients) follow psql 14's
-- tab-complete.c. psql appends LIMIT 1000 without ORDER BY; every answer here is far below
-- 1000 rows, so the answer is whole and compares as a multiset.

-- psql 15: SELECT * FROM ca<TAB>: selectable relations by LIKE prefix, pg_catalog suppressed, plus schemas
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE 'ca%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'ca%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: SELECT * FROM <TAB> (empty prefix): every visible selectable relation and every non-pg_ schema
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: SELECT * FROM public.<TAB>: relations of one schema, joined to pg_namespace by relnamespace
SELECT c.relname, n.nspname FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE '%' AND n.nspname = 'public'
LIMIT 1000;

-- psql 15: SELECT * FROM pg_catalog.pg_cl<TAB>: catalog relations, LIKE with an escaped underscore 'pg\_cl%'
SELECT c.relname, n.nspname FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE 'pg\_cl%' AND n.nspname = 'pg_catalog'
LIMIT 1000;

-- psql 15: SELECT * FROM information_schema.tab<TAB>: information_schema views present in pg_class
SELECT c.relname, n.nspname FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE 'tab%' AND n.nspname = 'information_schema'
LIMIT 1000;

-- psql 15: \dt c<TAB> (also COPY, COMMENT ON TABLE): tables only, relkind r/p
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p') AND (c.relname) LIKE 'c%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'c%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: \dv <TAB> (also \sv, ALTER VIEW, DROP VIEW): views only, relkind IN ('v')
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('v') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: \di <TAB> (also DROP INDEX, ALTER INDEX): indexes, relkind i/I
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('i', 'I') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: \d <TAB>: every visible relation of any relkind (indexes included)
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: ANALYZE <TAB> (also VACUUM, REINDEX TABLE with 'r','p','m'): relkind r/p/m/f
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'm', 'f') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: SELECT * FROM calls WHERE <TAB> (also ALTER TABLE calls ALTER COLUMN, INSERT INTO calls (, ORDER BY): columns of calls
SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE '%' AND c.relname = 'calls' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000;

-- psql 15: ALTER TABLE calls RENAME TO<TAB>: columns of calls starting with 'to' (none)
SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE 'to%' AND c.relname = 'calls' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000;

-- psql 15: ... IN (SELECT call_id FROM surveys WHERE <TAB>: columns of surveys (a table with a composite key)
SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE '%' AND c.relname = 'surveys' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000;

-- psql 15: SELECT * FROM calls c WHERE c.<TAB>: psql looks the alias up as a relation name, so no rows
SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE '%' AND c.relname = 'c' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000;

-- psql 15: ALTER TABLE calls DROP CONSTRAINT <TAB>: constraints of calls (the primary key)
SELECT con.conname, NULL::pg_catalog.text FROM pg_catalog.pg_constraint con, pg_catalog.pg_class c1 WHERE con.conrelid=c1.oid AND (con.conname) LIKE '%' AND c1.relname = 'calls' AND pg_catalog.pg_table_is_visible(c1.oid)
LIMIT 1000;

-- psql 15: \df now<TAB>: visible functions by name prefix plus schemas
SELECT p.proname, NULL::pg_catalog.text FROM pg_catalog.pg_proc p WHERE (p.proname) LIKE 'now%' AND pg_catalog.pg_function_is_visible(p.oid)
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'now%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: \dT tex<TAB>: visible non-array types (typrelid/relkind 'c' subquery, typname !~ '^_')
SELECT t.typname, NULL::pg_catalog.text FROM pg_catalog.pg_type t WHERE (t.typrelid = 0  OR (SELECT c.relkind = 'c'     FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid)) AND t.typname !~ '^_' AND (t.typname) LIKE 'tex%' AND pg_catalog.pg_type_is_visible(t.oid)
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'tex%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000;

-- psql 15: \c ca<TAB> (also ALTER DATABASE): database names by prefix
SELECT datname FROM pg_catalog.pg_database  WHERE datname LIKE 'ca%'
LIMIT 1000;

-- psql 15: \dn pu<TAB>: schema names by prefix
SELECT nspname FROM pg_catalog.pg_namespace  WHERE nspname LIKE 'pu%'
LIMIT 1000;

-- psql 15: SET search_path TO <TAB>: schemas except pg_toast* and pg_temp* (E'' escapes)
SELECT nspname FROM pg_catalog.pg_namespace  WHERE nspname LIKE '%' AND nspname NOT LIKE E'pg\\_toast%' AND nspname NOT LIKE E'pg\\_temp%'
LIMIT 1000;

-- psql 15: SET date<TAB>: user-settable parameters, lower(name) LIKE lower(prefix)
SELECT pg_catalog.lower(name) FROM pg_catalog.pg_settings  WHERE context IN ('user', 'superuser')    AND pg_catalog.lower(name) LIKE pg_catalog.lower('date%')
LIMIT 1000;

-- psql 15: SET search<TAB>: user-settable parameters starting with search
SELECT pg_catalog.lower(name) FROM pg_catalog.pg_settings  WHERE context IN ('user', 'superuser')    AND pg_catalog.lower(name) LIKE pg_catalog.lower('search%')
LIMIT 1000;

-- psql 15: SHOW server_v<TAB>: all parameters, LIKE with escaped underscore
SELECT pg_catalog.lower(name) FROM pg_catalog.pg_settings  WHERE pg_catalog.lower(name) LIKE pg_catalog.lower('server\_v%')
LIMIT 1000;

-- psql 15: SET DateStyle TO <TAB>: psql asks the parameter's vartype to choose what to offer
SELECT vartype FROM pg_catalog.pg_settings WHERE pg_catalog.lower(name) = pg_catalog.lower('DateStyle');

-- psql 15: GRANT SELECT ON calls TO pos<TAB> (also SET ROLE, \du): role names by prefix; postgres owns the tables on both
 SELECT rolname    FROM pg_catalog.pg_roles   WHERE rolname LIKE 'pos%'
LIMIT 1000;

-- psql 15: \dx <TAB>: installed extension names
 SELECT extname    FROM pg_catalog.pg_extension   WHERE extname LIKE '%'
LIMIT 1000;

-- psql 14 and older: SELECT * FROM ca<TAB>: quote_ident/substring form, UNION with schema and qualified names, count(*) subqueries
SELECT pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND substring(pg_catalog.quote_ident(c.relname),1,2)='ca' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION
SELECT pg_catalog.quote_ident(n.nspname) || '.' FROM pg_catalog.pg_namespace n WHERE substring(pg_catalog.quote_ident(n.nspname) || '.',1,2)='ca' AND (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace WHERE substring(pg_catalog.quote_ident(nspname) || '.',1,2) = substring('ca',1,pg_catalog.length(pg_catalog.quote_ident(nspname))+1)) > 1
UNION
SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND substring(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),1,2)='ca' AND substring(pg_catalog.quote_ident(n.nspname) || '.',1,2) = substring('ca',1,pg_catalog.length(pg_catalog.quote_ident(n.nspname))+1) AND (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace WHERE substring(pg_catalog.quote_ident(nspname) || '.',1,2) = substring('ca',1,pg_catalog.length(pg_catalog.quote_ident(nspname))+1)) = 1
LIMIT 1000;

-- psql 14 and older: SELECT * FROM pub<TAB>: the one matching schema makes the qualified-name branch answer public.<relation>
SELECT pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND substring(pg_catalog.quote_ident(c.relname),1,3)='pub' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION
SELECT pg_catalog.quote_ident(n.nspname) || '.' FROM pg_catalog.pg_namespace n WHERE substring(pg_catalog.quote_ident(n.nspname) || '.',1,3)='pub' AND (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace WHERE substring(pg_catalog.quote_ident(nspname) || '.',1,3) = substring('pub',1,pg_catalog.length(pg_catalog.quote_ident(nspname))+1)) > 1
UNION
SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND substring(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),1,3)='pub' AND substring(pg_catalog.quote_ident(n.nspname) || '.',1,3) = substring('pub',1,pg_catalog.length(pg_catalog.quote_ident(n.nspname))+1) AND (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace WHERE substring(pg_catalog.quote_ident(nspname) || '.',1,3) = substring('pub',1,pg_catalog.length(pg_catalog.quote_ident(nspname))+1)) = 1
LIMIT 1000;

-- psql 14 and older: SELECT * FROM calls WHERE <TAB>: Query_for_list_of_attributes with quote_ident and '"' || relname || '"'
SELECT pg_catalog.quote_ident(attname)   FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c  WHERE c.oid = a.attrelid    AND a.attnum > 0    AND NOT a.attisdropped    AND substring(pg_catalog.quote_ident(attname),1,0)=''    AND (pg_catalog.quote_ident(relname)='calls'         OR '"' || relname || '"'='calls')    AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000;

-- psql 14 and older: \c <TAB>: Query_for_list_of_databases, narrowed by the prefix 'ca'
SELECT pg_catalog.quote_ident(datname) FROM pg_catalog.pg_database  WHERE substring(pg_catalog.quote_ident(datname),1,2)='ca'
LIMIT 1000;

-- psql 14 and older: SET search_path TO pu<TAB>: Query_for_list_of_schemas
SELECT pg_catalog.quote_ident(nspname) FROM pg_catalog.pg_namespace  WHERE substring(pg_catalog.quote_ident(nspname),1,2)='pu'
LIMIT 1000;

-- psql 14 and older: SET date<TAB>: Query_for_list_of_set_vars, a derived table with UNION ALL of keywords
SELECT name FROM  (SELECT pg_catalog.lower(name) AS name FROM pg_catalog.pg_settings   WHERE context IN ('user', 'superuser')   UNION ALL SELECT 'constraints'   UNION ALL SELECT 'transaction'   UNION ALL SELECT 'session'   UNION ALL SELECT 'role'   UNION ALL SELECT 'tablespace'   UNION ALL SELECT 'all') ss  WHERE substring(name,1,4)='date'
LIMIT 1000;

-- psql 14 and older: SET t<TAB>: the keyword branch of Query_for_list_of_set_vars (transaction, tablespace, and time-related parameters)
SELECT name FROM  (SELECT pg_catalog.lower(name) AS name FROM pg_catalog.pg_settings   WHERE context IN ('user', 'superuser')   UNION ALL SELECT 'constraints'   UNION ALL SELECT 'transaction'   UNION ALL SELECT 'session'   UNION ALL SELECT 'role'   UNION ALL SELECT 'tablespace'   UNION ALL SELECT 'all') ss  WHERE substring(name,1,5)='trans'
LIMIT 1000;

-- psql 14 and older: GRANT ... TO pos<TAB>: Query_for_list_of_grant_roles with PUBLIC/CURRENT_USER/SESSION_USER
 SELECT pg_catalog.quote_ident(rolname)    FROM pg_catalog.pg_roles   WHERE substring(pg_catalog.quote_ident(rolname),1,3)='pos' UNION ALL SELECT 'PUBLIC' UNION ALL SELECT 'CURRENT_USER' UNION ALL SELECT 'SESSION_USER'
LIMIT 1000;

-- psql 14 and older: ALTER INDEX calls_pkey <TAB> helper: Query_for_index_of_table with the length(...) guard
SELECT pg_catalog.quote_ident(c2.relname)   FROM pg_catalog.pg_class c1, pg_catalog.pg_class c2, pg_catalog.pg_index i WHERE c1.oid=i.indrelid and i.indexrelid=c2.oid       and (0 = pg_catalog.length(''))       and pg_catalog.quote_ident(c1.relname)='calls'       and pg_catalog.pg_table_is_visible(c2.oid)
LIMIT 1000;
