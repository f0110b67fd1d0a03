-- A dead letter keeps at most 64 KiB of a refused body, with the whole body's size and SHA-256:
-- enough to see what went wrong and to match it to what was sent, without letting a partner
-- fill the disk with refused megabytes. Rows kept before this have their stored bytes digested.
ALTER TABLE dead_letters ADD COLUMN size bigint, ADD COLUMN sha256 bytea;
UPDATE dead_letters SET size = length(payload), sha256 = sha256(payload);
ALTER TABLE dead_letters ALTER COLUMN size SET NOT NULL, ALTER COLUMN sha256 SET NOT NULL;

-- A partner reads its own refusals after a cursor (`GET /v1/refusals`, `tandem refusals`).
CREATE INDEX dead_letters_partner_seq ON dead_letters (partner, seq) WHERE partner IS NOT NULL;
