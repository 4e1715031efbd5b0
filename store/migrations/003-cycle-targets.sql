-- What activation needs about each contact travels with the plan's targets.
--
-- features becomes packed float32: 4 bytes per feature, big-endian (what float4send writes), in the
-- order of FEATURE_NAMES (tools/features.ts). As real[] every value was a decimal parsed on write and
-- printed on read, seconds per cycle at 20,000 customers on the embedded database. Vectors already
-- stored are converted.
CREATE OR REPLACE FUNCTION pg_temp.pulse_features_f32(a real[]) RETURNS bytea LANGUAGE sql IMMUTABLE
  AS $$ SELECT string_agg(float4send(x), ''::bytea ORDER BY i) FROM unnest(a) WITH ORDINALITY AS u(x, i) $$;
ALTER TABLE cycle_targets ALTER COLUMN features TYPE bytea USING pg_temp.pulse_features_f32(features);

-- The category the customer spent most on as of the cycle's time, for the copy's {{category}}:
-- computed with the cycle's other per-customer data instead of a grouped scan of order lines per
-- activation shard.
ALTER TABLE cycle_targets ADD COLUMN top_category text;

-- Activation shards read one campaign's contacts.
CREATE INDEX cycle_targets_campaign_idx ON cycle_targets (cycle_id, campaign_id);
