-- The campaigns a cycle's plan made (segment × strategy × channel × offer, with its copy variants),
-- one row each, instead of a JSON array inside cycles.plan that activation read back untyped.
CREATE TABLE cycle_campaigns (
  cycle_id         text NOT NULL REFERENCES cycles (cycle_id),
  campaign_id      text NOT NULL,
  -- Position in the plan, so campaigns come back in the order the plan made them.
  position         int NOT NULL,
  segment_id       text NOT NULL,
  segment_name     text NOT NULL,
  strategy         text NOT NULL,
  channel          text NOT NULL,
  offer_depth      numeric(5, 4) NOT NULL,
  send_hour_local  int NOT NULL CHECK (send_hour_local BETWEEN 0 AND 23),
  source           text NOT NULL CHECK (source IN ('llm', 'offline')),
  -- The copy variants: [{ variantId, fields, prompt? }], validated on read.
  variants         jsonb NOT NULL,
  PRIMARY KEY (cycle_id, campaign_id)
);

-- Campaigns of cycles planned before this migration (a cycle waiting for activation still needs them).
INSERT INTO cycle_campaigns (cycle_id, campaign_id, position, segment_id, segment_name, strategy, channel, offer_depth, send_hour_local, source, variants)
SELECT c.cycle_id, e.value ->> 'campaignId', (e.ordinality - 1)::int, e.value ->> 'segmentId', e.value ->> 'segmentName',
       e.value ->> 'strategy', e.value ->> 'channel', (e.value ->> 'offerDepth')::numeric, (e.value ->> 'sendHourLocal')::int,
       e.value ->> 'source', coalesce(e.value -> 'variants', '[]'::jsonb)
FROM cycles c, jsonb_array_elements(CASE WHEN jsonb_typeof(c.plan -> 'campaigns') = 'array' THEN c.plan -> 'campaigns' ELSE '[]'::jsonb END)
  WITH ORDINALITY AS e(value, ordinality)
ON CONFLICT (cycle_id, campaign_id) DO NOTHING;
