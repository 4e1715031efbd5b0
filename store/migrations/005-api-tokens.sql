-- Bearer tokens for the HTTP API and the dashboard. Only the SHA-256 of a token is kept: a token
-- is shown once, when it is created, and a stolen table lets no one in.
CREATE TABLE api_tokens (
  token_id      text PRIMARY KEY,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('marketer', 'approver', 'compliance', 'admin')),
  token_hash    text NOT NULL UNIQUE,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
-- One live token per name, so "token:<name>" names one person in the audit log.
CREATE UNIQUE INDEX api_tokens_live_name_idx ON api_tokens (name) WHERE revoked_at IS NULL;
