-- The finalize limit's INSERT … SELECT (bench/scenarios.ts finalizeLimit), into three tables:
-- the bench's empty scratch copy (LIKE postings INCLUDING ALL: the indexes, no rows, no trigger),
-- then public.postings itself (its indexes at their size, its statement trigger), with and
-- without that trigger. Both inserts into public.postings are rolled back; VACUUM takes the dead
-- rows away. By hand, on a bench database (docs/PERFORMANCE.md "Month-end finalize: the limit's table").
--   psql "$DATABASE_URL" -f bench/finalize-limit-tables.sql
\timing on
CREATE SCHEMA IF NOT EXISTS bench_limit;
DROP TABLE IF EXISTS bench_limit.finalize_postings;
CREATE TABLE bench_limit.finalize_postings (LIKE public.postings INCLUDING ALL);
INSERT INTO bench_limit.finalize_postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
 SELECT t.id, t.id, md5(g::text)::uuid, 1 + g / 50000, 'deed', 5, 'entry:' || md5(g::text || 'e'), 'town:' || t.id, '2026-11', 'T10', '适龄青年主动参军入伍', now(), repeat('0', 64), encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
 FROM generate_series(1, 100000) AS g, (SELECT id FROM towns LIMIT 1) t;
DROP TABLE bench_limit.finalize_postings;
BEGIN;
INSERT INTO public.postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
 SELECT t.id, t.id, md5(g::text)::uuid, 1 + g / 50000, 'deed', 5, 'entry:' || md5(g::text || 'e'), 'town:' || t.id, '2026-11', 'T10', '适龄青年主动参军入伍', now(), repeat('0', 64), encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
 FROM generate_series(1, 100000) AS g, (SELECT id FROM towns LIMIT 1) t;
ROLLBACK;
BEGIN;
ALTER TABLE postings DISABLE TRIGGER postings_dashboard_totals;
INSERT INTO public.postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
 SELECT t.id, t.id, md5(g::text || 'x')::uuid, 1 + g / 50000, 'deed', 5, 'entry:' || md5(g::text || 'ex'), 'town:' || t.id, '2026-11', 'T10', '适龄青年主动参军入伍', now(), repeat('0', 64), encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
 FROM generate_series(1, 100000) AS g, (SELECT id FROM towns LIMIT 1) t;
ROLLBACK;
VACUUM postings;
