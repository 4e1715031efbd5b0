-- What planning learns from and decides per customer beyond the campaign.
--
-- cycle_targets: the send time the plan chose for the customer (their own hour, quiet hours
-- excluded), the arm the bandit drew for them (an offer depth of the segment × strategy) and the
-- probability that arm had of being drawn. messages carries the propensity on to every send, so
-- off-policy evaluation can weight each send by how likely it was. prior_uplift is what the
-- documented prior predicted for the customer before any learned evidence was applied: learning
-- compares measured uplift with it.
ALTER TABLE cycle_targets ADD COLUMN planned_at timestamptz;
ALTER TABLE cycle_targets ADD COLUMN prior_uplift double precision;
ALTER TABLE cycle_targets ADD COLUMN arm_id text;
ALTER TABLE cycle_targets ADD COLUMN propensity double precision CHECK (propensity IS NULL OR (propensity > 0 AND propensity <= 1));
ALTER TABLE messages ADD COLUMN propensity double precision CHECK (propensity IS NULL OR (propensity > 0 AND propensity <= 1));

-- Learned evidence: one randomized readout per measured cycle × segment × strategy × channel × offer
-- depth (treated and held-out counts and conversions, and the mean uplift the plan predicted for
-- them). Planning accumulates them, decaying old ones, instead of relying on one cycle's holdout.
CREATE TABLE uplift_readouts (
  cycle_id             text NOT NULL REFERENCES cycles (cycle_id),
  segment_id           text NOT NULL,
  strategy             text NOT NULL,
  channel              text NOT NULL,
  offer_depth          numeric(5, 4) NOT NULL,
  measured_at          timestamptz NOT NULL,
  treated              integer NOT NULL CHECK (treated >= 0),
  treated_conversions  integer NOT NULL CHECK (treated_conversions >= 0),
  holdout              integer NOT NULL CHECK (holdout >= 0),
  holdout_conversions  integer NOT NULL CHECK (holdout_conversions >= 0),
  mean_predicted       double precision,
  PRIMARY KEY (cycle_id, segment_id, strategy, channel, offer_depth)
);
CREATE INDEX uplift_readouts_measured_idx ON uplift_readouts (measured_at);
