-- Durable pauses ("pause all SMS until Monday"): rules over channels and/or a segment, with an
-- expiry, created by someone on whose behalf Pulse holds sends. Eligibility treats a customer the
-- rule covers as suppressed on its channels while the rule is in force (created_at <= t < until,
-- not lifted). Lifting a rule records when and by whom instead of deleting it.
CREATE TABLE suppression_rules (
  rule_id     text PRIMARY KEY,
  -- NULL: every channel.
  channels    text[],
  -- NULL: every segment.
  segment_id  text,
  reason      text NOT NULL DEFAULT '',
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL,
  -- NULL: until lifted.
  until       timestamptz,
  lifted_by   text,
  lifted_at   timestamptz,
  CHECK (until IS NULL OR until > created_at)
);
CREATE INDEX suppression_rules_active_idx ON suppression_rules (created_at) WHERE lifted_at IS NULL;
