-- The natural-order key of the clusters that exist (new ones get it at insert): the rules of
-- naturalKey in src/domain/natural-order.ts, in SQL. The name in lower case; each run of digits
-- written as its length (3 digits) and the number without its leading zeros.
UPDATE "clusters" SET "sort_key" = coalesce((
  SELECT string_agg(
    CASE WHEN r.m[1] ~ '^[0-9]' THEN lpad(length(ltrim(r.m[1], '0'))::text, 3, '0') || ltrim(r.m[1], '0') ELSE lower(r.m[1]) END,
    '' ORDER BY r.n)
  FROM regexp_matches("clusters"."name", '[0-9]+|[^0-9]+', 'g') WITH ORDINALITY AS r(m, n)
), '');
