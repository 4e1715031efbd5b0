-- The product recommended to each cross-sell target (tools/recommend.ts), for the copy's {{product}}:
-- chosen at plan time from the order lines as of the cycle, like top_category.
ALTER TABLE cycle_targets ADD COLUMN recommended_sku text;

-- Cool-down threshold and weekly frequency caps learned per segment from measured unsubscribes
-- against responses (tools/fatigue-learning.ts). One row per cycle that learned and segment; the
-- newest row per segment is in force for the next cycle's eligibility. Always within the guardrail
-- policy's caps, which stay the hard limit.
CREATE TABLE learned_fatigue (
  cycle_id            text NOT NULL,
  segment_id          text NOT NULL,
  cooldown_threshold  double precision NOT NULL,
  -- Sends per channel in the policy's rolling window: {"email": 4, "sms": 1, ...}.
  rolling_caps        jsonb NOT NULL,
  -- What the values were learned from: sends, unsubscribes, responses, net value per send.
  evidence            jsonb NOT NULL,
  learned_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, segment_id)
);
CREATE INDEX learned_fatigue_segment_idx ON learned_fatigue (segment_id, learned_at DESC);
