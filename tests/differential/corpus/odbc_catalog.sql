-- psqlODBC (postgresql-interfaces/psqlodbc, info.c and connection.c) catalog queries, built the
-- way the driver builds them for a PostgreSQL 12+ server with standard_conforming_strings on
-- (so no E'' prefix): LIKE for pattern arguments, operator(pg_catalog.=) for identifiers, the
-- current schema (public) where the application passes no schema.

-- psqlODBC connect: looks for the large-object type lo (none)
select oid, typbasetype from pg_type where typname = 'lo';

-- psqlODBC connect: reads DateStyle before setting it to ISO
SHOW DateStyle;

-- psqlODBC connect: reads the isolation level; the driver checks the result column is named transaction_isolation
show transaction_isolation;

-- psqlODBC connect: max_identifier_length, by SHOW
show max_identifier_length;

-- psqlODBC connect: the current schema, used wherever the application passes no schema
select current_schema();

-- psqlODBC multibyte column-name lookup: the server encoding
select getdatabaseencoding();

-- psqlODBC SQLTables(catalog "%", "", "", ""): the catalog listing form, three bare NULLs
select NULL, NULL, NULL;

-- psqlODBC SQLTables("", "", "", "%"): the table-type listing, a UNION of one-column SELECTs in a derived table
select NULL, NULL, relkind from (select 'r' as relkind union select 'v' union select 'm' union select 'f' union select 'p') as a;

-- psqlODBC SQLTables("", "%", "", ""): the schema listing without system schemas
select NULL, nspname, NULL from pg_catalog.pg_namespace n where true and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') order by nspname;

-- psqlODBC SQLTables("", NULL, "%", "TABLE,VIEW"): relations of the current schema, bare relname/nspname/relkind columns
select relname, nspname, relkind from pg_catalog.pg_class c, pg_catalog.pg_namespace n where relkind in ('r', 'v', 'm', 'f', 'p') and nspname like 'public' and relname like '%' and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') and n.oid = relnamespace order by nspname, relname;

-- psqlODBC SQLTables("", "public", "call%", NULL): a LIKE pattern on relname (calls and the call_metrics view)
select relname, nspname, relkind from pg_catalog.pg_class c, pg_catalog.pg_namespace n where relkind in ('r', 'v', 'm', 'f', 'p') and nspname like 'public' and relname like 'call%' and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') and n.oid = relnamespace order by nspname, relname;

-- psqlODBC SQLColumns("", "public", "calls", "%"): nested inner joins, pg_get_expr default, typtype 'd' base type (answer has c.oid: shape)
-- compare: shape
select n.nspname, c.relname, a.attname, a.atttypid, t.typname, a.attnum, a.attlen, a.atttypmod, a.attnotnull, c.relhasrules, c.relkind, c.oid, pg_get_expr(d.adbin, d.adrelid), case t.typtype when 'd' then t.typbasetype else 0 end, t.typtypmod, 0, attidentity, c.relhassubclass from (((pg_catalog.pg_class c inner join pg_catalog.pg_namespace n on n.oid = c.relnamespace and c.relname like 'calls' and n.nspname like 'public') inner join pg_catalog.pg_attribute a on (not a.attisdropped) and a.attnum operator(pg_catalog.>) 0 and a.attname like '%' and a.attrelid operator(pg_catalog.=) c.oid) inner join pg_catalog.pg_type t on t.oid operator(pg_catalog.=) a.atttypid) left outer join pg_attrdef d on a.atthasdef and d.adrelid operator(pg_catalog.=) a.attrelid and d.adnum operator(pg_catalog.=) a.attnum order by n.nspname, c.relname, attnum;

-- psqlODBC SQLColumns, the same query without c.oid so every other column compares by value (narrowed)
select n.nspname, c.relname, a.attname, a.atttypid, t.typname, a.attnum, a.attlen, a.atttypmod, a.attnotnull, c.relhasrules, c.relkind, pg_get_expr(d.adbin, d.adrelid), case t.typtype when 'd' then t.typbasetype else 0 end, t.typtypmod, 0, attidentity, c.relhassubclass from (((pg_catalog.pg_class c inner join pg_catalog.pg_namespace n on n.oid = c.relnamespace and c.relname like 'calls' and n.nspname like 'public') inner join pg_catalog.pg_attribute a on (not a.attisdropped) and a.attnum operator(pg_catalog.>) 0 and a.attname like '%' and a.attrelid operator(pg_catalog.=) c.oid) inner join pg_catalog.pg_type t on t.oid operator(pg_catalog.=) a.atttypid) left outer join pg_attrdef d on a.atthasdef and d.adrelid operator(pg_catalog.=) a.attrelid and d.adnum operator(pg_catalog.=) a.attnum order by n.nspname, c.relname, attnum;

-- psqlODBC SQLColumns("", "public", "qa_scorecard", "%") narrowed as above: columns of a view (relkind v, PostgreSQL: attnotnull false)
select n.nspname, c.relname, a.attname, a.atttypid, t.typname, a.attnum, a.attlen, a.atttypmod, a.attnotnull, c.relhasrules, c.relkind, pg_get_expr(d.adbin, d.adrelid), case t.typtype when 'd' then t.typbasetype else 0 end, t.typtypmod, 0, attidentity, c.relhassubclass from (((pg_catalog.pg_class c inner join pg_catalog.pg_namespace n on n.oid = c.relnamespace and c.relname like 'qa_scorecard' and n.nspname like 'public') inner join pg_catalog.pg_attribute a on (not a.attisdropped) and a.attnum operator(pg_catalog.>) 0 and a.attname like '%' and a.attrelid operator(pg_catalog.=) c.oid) inner join pg_catalog.pg_type t on t.oid operator(pg_catalog.=) a.atttypid) left outer join pg_attrdef d on a.atthasdef and d.adrelid operator(pg_catalog.=) a.attrelid and d.adnum operator(pg_catalog.=) a.attnum order by n.nspname, c.relname, attnum;

-- psqlODBC SQLStatistics("", "public", "utterances"): indexes with i.indkey (int2vector) and i.indoption (answer has c.oid: shape)
-- compare: shape
select c.relname, i.indkey, i.indisunique, i.indisclustered, a.amname, c.relhasrules, n.nspname, c.oid, 0, i.indoption from pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class d, pg_catalog.pg_am a, pg_catalog.pg_namespace n where d.relname operator(pg_catalog.=) 'utterances' and n.nspname operator(pg_catalog.=) 'public' and n.oid operator(pg_catalog.=) d.relnamespace and d.oid operator(pg_catalog.=) i.indrelid and i.indexrelid operator(pg_catalog.=) c.oid and c.relam operator(pg_catalog.=) a.oid order by i.indisprimary desc, i.indisunique, n.nspname, c.relname;

-- psqlODBC SQLStatistics, the same query without c.oid: indkey '1 3' and indoption '0 0' in their text forms (narrowed)
select c.relname, i.indkey, i.indisunique, i.indisclustered, a.amname, c.relhasrules, n.nspname, 0, i.indoption from pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class d, pg_catalog.pg_am a, pg_catalog.pg_namespace n where d.relname operator(pg_catalog.=) 'utterances' and n.nspname operator(pg_catalog.=) 'public' and n.oid operator(pg_catalog.=) d.relnamespace and d.oid operator(pg_catalog.=) i.indrelid and i.indexrelid operator(pg_catalog.=) c.oid and c.relam operator(pg_catalog.=) a.oid order by i.indisprimary desc, i.indisunique, n.nspname, c.relname;

-- psqlODBC SQLPrimaryKeys("", "public", "calls"): index attributes joined through indkey[ia.attnum-1], indisprimary = 't'
select ta.attname, ia.attnum, ic.relname, n.nspname, tc.relname from pg_catalog.pg_attribute ta, pg_catalog.pg_attribute ia, pg_catalog.pg_class tc, pg_catalog.pg_index i, pg_catalog.pg_namespace n, pg_catalog.pg_class ic where tc.relname operator(pg_catalog.=) 'calls' AND n.nspname operator(pg_catalog.=) 'public' AND tc.oid operator(pg_catalog.=) i.indrelid AND n.oid operator(pg_catalog.=) tc.relnamespace AND i.indisprimary operator(pg_catalog.=) 't' AND ia.attrelid operator(pg_catalog.=) i.indexrelid AND ta.attrelid operator(pg_catalog.=) i.indrelid AND ta.attnum operator(pg_catalog.=) i.indkey[ia.attnum-1] AND (NOT ta.attisdropped) AND (NOT ia.attisdropped) AND ic.oid operator(pg_catalog.=) i.indexrelid AND ia.attnum operator(pg_catalog.<=) i.indnkeyatts order by ia.attnum;

-- psqlODBC SQLPrimaryKeys("", "public", "audio_features"): a three-column key in key order
select ta.attname, ia.attnum, ic.relname, n.nspname, tc.relname from pg_catalog.pg_attribute ta, pg_catalog.pg_attribute ia, pg_catalog.pg_class tc, pg_catalog.pg_index i, pg_catalog.pg_namespace n, pg_catalog.pg_class ic where tc.relname operator(pg_catalog.=) 'audio_features' AND n.nspname operator(pg_catalog.=) 'public' AND tc.oid operator(pg_catalog.=) i.indrelid AND n.oid operator(pg_catalog.=) tc.relnamespace AND i.indisprimary operator(pg_catalog.=) 't' AND ia.attrelid operator(pg_catalog.=) i.indexrelid AND ta.attrelid operator(pg_catalog.=) i.indrelid AND ta.attnum operator(pg_catalog.=) i.indkey[ia.attnum-1] AND (NOT ta.attisdropped) AND (NOT ia.attisdropped) AND ic.oid operator(pg_catalog.=) i.indexrelid AND ia.attnum operator(pg_catalog.<=) i.indnkeyatts order by ia.attnum;

-- psqlODBC SQLPrimaryKeys fallback (second query, old-fashioned <table>_pkey lookup by index name), for utterances
select ta.attname, ia.attnum, ic.relname, n.nspname, NULL from pg_catalog.pg_attribute ta, pg_catalog.pg_attribute ia, pg_catalog.pg_class ic, pg_catalog.pg_index i, pg_catalog.pg_namespace n where ic.relname operator(pg_catalog.=) 'utterances_pkey' AND n.nspname operator(pg_catalog.=) 'public' AND ic.oid operator(pg_catalog.=) i.indexrelid AND n.oid operator(pg_catalog.=) ic.relnamespace AND ia.attrelid operator(pg_catalog.=) i.indexrelid AND ta.attrelid operator(pg_catalog.=) i.indrelid AND ta.attnum operator(pg_catalog.=) i.indkey[ia.attnum-1] AND (NOT ta.attisdropped) AND (NOT ia.attisdropped) AND ia.attnum operator(pg_catalog.<=) i.indnkeyatts order by ia.attnum;

-- psqlODBC SQLForeignKeys(fk table "agents"): 'callqa'::name casts, generate_series over conkey, ::int2 rule codes (agents references nothing, so no rows)
select	'callqa'::name as "PKTABLE_CAT",
	n2.nspname as "PKTABLE_SCHEM",
	c2.relname as "PKTABLE_NAME",
	a2.attname as "PKCOLUMN_NAME",
	'callqa'::name as "FKTABLE_CAT",
	n1.nspname as "FKTABLE_SCHEM",
	c1.relname as "FKTABLE_NAME",
	a1.attname as "FKCOLUMN_NAME",
	i::int2 as "KEY_SEQ",
	case ref.confupdtype
		when 'c' then 0::int2
		when 'n' then 2::int2
		when 'd' then 4::int2
		when 'r' then 1::int2
		else 3::int2
	end as "UPDATE_RULE",
	case ref.confdeltype
		when 'c' then 0::int2
		when 'n' then 2::int2
		when 'd' then 4::int2
		when 'r' then 1::int2
		else 3::int2
	end as "DELETE_RULE",
	ref.conname as "FK_NAME",
	cn.conname as "PK_NAME",
	case
		when ref.condeferrable then
			case
			when ref.condeferred then 5::int2
			else 6::int2
			end
		else 7::int2
	end as "DEFERRABILITY"
 from
 ((((((( (select cn.oid, conrelid, conkey, confrelid, confkey,
	 generate_series(array_lower(conkey, 1), array_upper(conkey, 1)) as i,
	 confupdtype, confdeltype, conname,
	 condeferrable, condeferred
  from pg_catalog.pg_constraint cn,
	pg_catalog.pg_class c,
	pg_catalog.pg_namespace n
  where contype operator(pg_catalog.=) 'f' 
   and  conrelid = c.oid
   and  relname operator(pg_catalog.=) 'agents'
   and  n.oid operator(pg_catalog.=) c.relnamespace
   and  n.nspname operator(pg_catalog.=) 'public'
 ) ref
 inner join pg_catalog.pg_class c1
  on c1.oid operator(pg_catalog.=) ref.conrelid)
 inner join pg_catalog.pg_namespace n1
  on  n1.oid operator(pg_catalog.=) c1.relnamespace)
 inner join pg_catalog.pg_attribute a1
  on  a1.attrelid operator(pg_catalog.=) c1.oid
  and  a1.attnum operator(pg_catalog.=) conkey[i])
 inner join pg_catalog.pg_class c2
  on  c2.oid operator(pg_catalog.=) ref.confrelid)
 inner join pg_catalog.pg_namespace n2
  on  n2.oid operator(pg_catalog.=) c2.relnamespace)
 inner join pg_catalog.pg_attribute a2
  on  a2.attrelid operator(pg_catalog.=) c2.oid
  and  a2.attnum operator(pg_catalog.=) confkey[i])
 left outer join pg_catalog.pg_constraint cn
  on cn.conrelid operator(pg_catalog.=) ref.confrelid
  and cn.contype operator(pg_catalog.=) 'p')
  order by ref.oid, ref.i;

-- psqlODBC SQLForeignKeys(fk table "calls"): the one key calls.agent_id -> agents with its PK_NAME from the referenced table's primary key (compares callqa's declared keys, so the PostgreSQL copy must carry them)
select	'callqa'::name as "PKTABLE_CAT",
	n2.nspname as "PKTABLE_SCHEM",
	c2.relname as "PKTABLE_NAME",
	a2.attname as "PKCOLUMN_NAME",
	'callqa'::name as "FKTABLE_CAT",
	n1.nspname as "FKTABLE_SCHEM",
	c1.relname as "FKTABLE_NAME",
	a1.attname as "FKCOLUMN_NAME",
	i::int2 as "KEY_SEQ",
	case ref.confupdtype
		when 'c' then 0::int2
		when 'n' then 2::int2
		when 'd' then 4::int2
		when 'r' then 1::int2
		else 3::int2
	end as "UPDATE_RULE",
	case ref.confdeltype
		when 'c' then 0::int2
		when 'n' then 2::int2
		when 'd' then 4::int2
		when 'r' then 1::int2
		else 3::int2
	end as "DELETE_RULE",
	ref.conname as "FK_NAME",
	cn.conname as "PK_NAME",
	case
		when ref.condeferrable then
			case
			when ref.condeferred then 5::int2
			else 6::int2
			end
		else 7::int2
	end as "DEFERRABILITY"
 from
 ((((((( (select cn.oid, conrelid, conkey, confrelid, confkey,
	 generate_series(array_lower(conkey, 1), array_upper(conkey, 1)) as i,
	 confupdtype, confdeltype, conname,
	 condeferrable, condeferred
  from pg_catalog.pg_constraint cn,
	pg_catalog.pg_class c,
	pg_catalog.pg_namespace n
  where contype operator(pg_catalog.=) 'f' 
   and  conrelid = c.oid
   and  relname operator(pg_catalog.=) 'calls'
   and  n.oid operator(pg_catalog.=) c.relnamespace
   and  n.nspname operator(pg_catalog.=) 'public'
 ) ref
 inner join pg_catalog.pg_class c1
  on c1.oid operator(pg_catalog.=) ref.conrelid)
 inner join pg_catalog.pg_namespace n1
  on  n1.oid operator(pg_catalog.=) c1.relnamespace)
 inner join pg_catalog.pg_attribute a1
  on  a1.attrelid operator(pg_catalog.=) c1.oid
  and  a1.attnum operator(pg_catalog.=) conkey[i])
 inner join pg_catalog.pg_class c2
  on  c2.oid operator(pg_catalog.=) ref.confrelid)
 inner join pg_catalog.pg_namespace n2
  on  n2.oid operator(pg_catalog.=) c2.relnamespace)
 inner join pg_catalog.pg_attribute a2
  on  a2.attrelid operator(pg_catalog.=) c2.oid
  and  a2.attnum operator(pg_catalog.=) confkey[i])
 left outer join pg_catalog.pg_constraint cn
  on cn.conrelid operator(pg_catalog.=) ref.confrelid
  and cn.contype operator(pg_catalog.=) 'p')
  order by ref.oid, ref.i;

-- psqlODBC SQLSpecialColumns("", "public", "calls"): is it a view (relhasrules, relkind), 0 as relhasoids on 12+
select c.relhasrules, c.relkind, 0 as relhasoids from pg_catalog.pg_namespace u, pg_catalog.pg_class c where u.oid operator(pg_catalog.=) c.relnamespace and c.relname operator(pg_catalog.=) 'calls' and u.nspname operator(pg_catalog.=) 'public';

-- psqlODBC SQLSpecialColumns("", "public", "qa_results"): the same for a view
select c.relhasrules, c.relkind, 0 as relhasoids from pg_catalog.pg_namespace u, pg_catalog.pg_class c where u.oid operator(pg_catalog.=) c.relnamespace and c.relname operator(pg_catalog.=) 'qa_results' and u.nspname operator(pg_catalog.=) 'public';

-- psqlODBC SQLProcedures("", "pg_catalog", "now"): ''::varchar columns with upper-case-looking but unquoted aliases (folded to lower case)
select ''::varchar as PROCEDURE_CAT, nspname as PROCEDURE_SCHEM, proname as PROCEDURE_NAME, ''::varchar as NUM_INPUT_PARAMS, ''::varchar as NUM_OUTPUT_PARAMS, ''::varchar as NUM_RESULT_SETS, ''::varchar as REMARKS, case when prorettype = 0 then 1::int2 else 2::int2 end as PROCEDURE_TYPE from pg_catalog.pg_namespace, pg_catalog.pg_proc where pg_proc.pronamespace = pg_namespace.oid and nspname like 'pg_catalog' and proname like 'now';

-- psqlODBC SQLTablePrivileges("", "public", "%"): relations joined to pg_user on usesysid = relowner (the driver parses relacl)
select relname, usename, relacl, nspname from pg_catalog.pg_namespace, pg_catalog.pg_class , pg_catalog.pg_user where nspname like 'public' and relname like '%' and pg_namespace.oid operator(pg_catalog.=) relnamespace and relkind in ('r', 'v', 'm', 'f', 'p') and pg_user.usesysid operator(pg_catalog.=) relowner;

-- psqlODBC SQLTablePrivileges, second query: the users, narrowed to the owner of the tables (other roles are installation-specific; usesysid is an oid: shape)
-- compare: shape
select usename, usesysid, usesuper from pg_user where usename = 'postgres';

-- psqlODBC column-name lookup for multibyte names: attnum by attname (relid given as regclass instead of the driver's literal oid)
select attnum from pg_attribute where attrelid operator(pg_catalog.=) 'public.surveys'::regclass and attname operator(pg_catalog.=) 'csat';
