-- psql "$DATABASE_URL" -f bench/notices-indexes.sql against a migrated scratch database (issue 19, docs/PERFORMANCE.md "Account heads").
-- Cost of each notices index on the finalize INSERT: same rows into copies of notices that differ by one index.
\timing off
SET client_min_messages = warning;
DROP TABLE IF EXISTS nb_all, nb_no_town_state, nb_no_resident, nb_src;
CREATE TABLE nb_src AS
  SELECT g AS n, '11111111-1111-1111-1111-111111111111'::uuid AS town_id, md5('v' || (g % 50))::uuid AS village_id,
         md5('r' || (g % 50000))::uuid AS resident_id
    FROM generate_series(1, 200000) g;
CREATE TABLE nb_all (LIKE notices INCLUDING ALL);
CREATE TABLE nb_no_town_state (LIKE notices INCLUDING ALL);
CREATE TABLE nb_no_resident (LIKE notices INCLUDING ALL);
DO $$ DECLARE i text; BEGIN
  SELECT indexname INTO i FROM pg_indexes WHERE tablename = 'nb_no_town_state' AND indexdef LIKE '%(town_id, sms_state)%'; EXECUTE 'DROP INDEX ' || i;
  SELECT indexname INTO i FROM pg_indexes WHERE tablename = 'nb_no_resident' AND indexdef LIKE '%(resident_id, id)%'; EXECUTE 'DROP INDEX ' || i;
END $$;
SELECT tablename, string_agg(indexdef, E'\n  ') FROM pg_indexes WHERE tablename LIKE 'nb\_%' GROUP BY 1 ORDER BY 1;
CREATE OR REPLACE FUNCTION nb_fill(t text, lo int, hi int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); BEGIN
  EXECUTE format($q$INSERT INTO %I (town_id, village_id, resident_id, kind, source_key, data, sms_state, skip_reason)
    SELECT town_id, village_id, resident_id, 'points_posted', 'posted:' || (1000000 + n),
           jsonb_build_object('period', '2026-11', 'gained', 10, 'lost', 0, 'count', 2, 'balance', 120),
           CASE WHEN mod(n, 3) = 0 THEN 'skipped' ELSE 'pending' END, CASE WHEN mod(n, 3) = 0 THEN 'no_phone' END
      FROM nb_src WHERE n > %s AND n <= %s ORDER BY n ON CONFLICT (source_key, town_id) DO NOTHING$q$, t, lo, hi);
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END $$;
-- 100,000 existing notices (a month of a bench town), then 50 batches of 2,000 (a finalize), interleaved.
SELECT nb_fill(t, 0, 100000) FROM unnest(ARRAY['nb_all', 'nb_no_town_state', 'nb_no_resident']) t;
VACUUM ANALYZE nb_all; VACUUM ANALYZE nb_no_town_state; VACUUM ANALYZE nb_no_resident;
CREATE TEMP TABLE nb_times (t text, ms float8);
DO $$ DECLARE b int; t text; BEGIN
  FOR b IN 0..49 LOOP
    FOREACH t IN ARRAY ARRAY['nb_all', 'nb_no_town_state', 'nb_no_resident'] LOOP
      INSERT INTO nb_times VALUES (t, nb_fill(t, 100000 + b * 2000, 100000 + (b + 1) * 2000));
    END LOOP;
  END LOOP; END $$;
SELECT t, round(sum(ms)::numeric, 1) AS total_ms, round(avg(ms)::numeric, 2) AS avg_ms FROM nb_times GROUP BY t ORDER BY t;
SELECT relname, pg_size_pretty(pg_relation_size(indexrelid)) AS size, indexrelname FROM pg_stat_user_indexes WHERE relname LIKE 'nb\_%' ORDER BY 1, 3;
DROP TABLE nb_all, nb_no_town_state, nb_no_resident, nb_src;
DROP FUNCTION nb_fill;
