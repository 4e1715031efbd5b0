-- A brief's category and send window as typed columns of each campaign, instead of riding inside
-- the variants document (where cycles planned before this migration kept them).
ALTER TABLE cycle_campaigns
  ADD COLUMN category   text,
  -- No send before this instant (a brief's window start later than the cycle's as-of).
  ADD COLUMN send_from  timestamptz,
  -- No send from this instant on (the end of a brief's window, exclusive).
  ADD COLUMN send_until timestamptz;

UPDATE cycle_campaigns
SET category = variants ->> 'category',
    send_from = (variants ->> 'sendFrom')::timestamptz,
    variants = coalesce(variants -> 'variants', '[]'::jsonb)
WHERE jsonb_typeof(variants) = 'object';
