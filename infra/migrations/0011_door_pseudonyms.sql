-- Personal references never enter: from now on the gateway and the inbound service replace each
-- `person_ref` by a door pseudonym before anything is stored (services/authority/person_refs.py). This
-- migration makes the secret behind those pseudonyms and pseudonymises what the deployment
-- already holds, with the same function as the Python (a test holds them equal).

-- The door secret, kept like the sharing secret: its own row in the private schema, made once
-- at random, never changed (rotating it is a deliberate act, see the README).
CREATE TABLE sharing_private.door_secret (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    key         bytea NOT NULL CHECK (length(key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER door_secret_kept BEFORE UPDATE OR DELETE ON sharing_private.door_secret
    FOR EACH ROW EXECUTE FUNCTION sharing_refuse_change();

-- 32 random bytes without pgcrypto (the embedded PostgreSQL has none): gen_random_uuid() draws
-- 122 bits from the server's strong random source; three of them, hashed, fill the key.
INSERT INTO sharing_private.door_secret (key)
SELECT sha256(convert_to(
    gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));

-- HMAC-SHA256 (RFC 2104) from the built-in sha256(): the key, padded to SHA-256's 64-byte
-- block, XORed with 0x36 (inner) and 0x5c (outer), computed once for the whole migration.
CREATE TEMP TABLE door_pads ON COMMIT DROP AS
WITH block AS (
    SELECT key || decode(repeat('00', 64 - length(key)), 'hex') AS k
    FROM sharing_private.door_secret
)
SELECT decode(string_agg(lpad(to_hex(get_byte(k, i) # 54), 2, '0'), '' ORDER BY i), 'hex') AS ipad,
       decode(string_agg(lpad(to_hex(get_byte(k, i) # 92), 2, '0'), '' ORDER BY i), 'hex') AS opad
FROM block, generate_series(0, 63) AS i
GROUP BY k;

-- services.authority.person_refs.door_pseudonym: 'pr-' and the first 32 hex digits of
-- HMAC(key, partner NUL person_ref).
CREATE FUNCTION pg_temp.door_pseudonym(partner text, person_ref text) RETURNS text
LANGUAGE sql AS $$
    SELECT 'pr-' || left(encode(sha256(opad || sha256(
        ipad || convert_to(partner, 'UTF8') || '\x00'::bytea || convert_to(person_ref, 'UTF8')
    )), 'hex'), 32)
    FROM pg_temp.door_pads
$$;

-- services.exercises.injects.inject_person_ref: an inject's repeated events number their
-- person_ref with {n}; the pseudonym keeps the number, so copies stay different people.
CREATE FUNCTION pg_temp.inject_pseudonym(partner text, person_ref text) RETURNS text
LANGUAGE sql AS $$
    SELECT pg_temp.door_pseudonym(partner, person_ref)
        || CASE WHEN strpos(person_ref, '{n}') > 0 THEN '-{n}' ELSE '' END
$$;

-- The event store (its body is relayed as it is), the archive (replays read it) and the
-- request lifecycles the router keeps for referrals.
UPDATE events
SET body = jsonb_set(body::jsonb, '{data,person_ref}',
    to_jsonb(pg_temp.door_pseudonym(partner, body::jsonb #>> '{data,person_ref}')))::text
WHERE body LIKE '%person_ref%' AND jsonb_typeof(body::jsonb #> '{data,person_ref}') = 'string';

UPDATE archive
SET body = jsonb_set(body, '{data,person_ref}',
    to_jsonb(pg_temp.door_pseudonym(partner, body #>> '{data,person_ref}')))
WHERE jsonb_typeof(body #> '{data,person_ref}') = 'string';

UPDATE sharing_request_events
SET event = jsonb_set(event, '{data,person_ref}',
    to_jsonb(pg_temp.door_pseudonym(partner, event #>> '{data,person_ref}')))
WHERE jsonb_typeof(event #> '{data,person_ref}') = 'string';

-- Exercise injects, whose events are sent into runs as written.
UPDATE exercise_injects
SET effect = jsonb_set(effect, '{events}', (
    SELECT jsonb_agg(
        CASE WHEN jsonb_typeof(e #> '{data,person_ref}') = 'string'
            THEN jsonb_set(e, '{data,person_ref}',
                to_jsonb(pg_temp.inject_pseudonym(e ->> 'partner', e #>> '{data,person_ref}')))
            ELSE e END
        ORDER BY n)
    FROM jsonb_array_elements(effect -> 'events') WITH ORDINALITY AS x(e, n)))
WHERE jsonb_path_exists(effect, '$.events[*].data.person_ref');

-- Refused bodies, which may be anything: services.authority.person_refs.redacted over their bytes.
-- encode(…, 'escape') turns any bytes (NUL, invalid UTF-8) into text that decode(…, 'escape')
-- turns back exactly; in it a backslash of the body is written \\, hence the doubled escapes.
UPDATE dead_letters
SET payload = decode(regexp_replace(
    encode(payload, 'escape'),
    '(person_ref(?:\\\\)*"\s*:\s*)(?:((?:\\\\)*)"[^"]*"?|[^\s,}\]"\\]+)',
    '\1\2"redacted\2"', 'gi'), 'escape')
WHERE encode(payload, 'escape') ~* 'person_ref';
-- A digest of the raw body would let anyone who reads dead letters find a redacted reference
-- by trying every possible one: the digest is of the body as kept (0009 made them all).
UPDATE dead_letters SET sha256 = sha256(payload) WHERE sha256 <> sha256(payload);

-- The inboxes are left as they are: what a recipient was given stands, and it only ever held
-- per-recipient pseudonyms (services/sharing/minimise.py), never a person_ref.

DROP FUNCTION pg_temp.inject_pseudonym(text, text);
DROP FUNCTION pg_temp.door_pseudonym(text, text);
