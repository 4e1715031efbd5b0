-- Where the Slack app posted each plan that waited for approval, so any process can bring that
-- message up to date when the plan is decided, expires, is sent or is measured.
CREATE TABLE slack_plan_messages (
  approval_id text PRIMARY KEY,
  cycle_id    text NOT NULL,
  channel     text NOT NULL,
  ts          text NOT NULL,
  -- What the message shows now: waiting, approved, sent, rejected, expired, measured.
  shown       text NOT NULL,
  -- The lift readout posted in the message's thread, once measured.
  lift_ts     text,
  posted_at   timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_plan_messages_open_idx ON slack_plan_messages (cycle_id) WHERE lift_ts IS NULL;
