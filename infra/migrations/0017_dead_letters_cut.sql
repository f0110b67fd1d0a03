-- Dead letters kept before the door found a person_ref however a body spells it
-- (services/authority/person_refs.py): 0011's redaction knew only `"person_ref": value`, so a
-- refused body that spelled the name otherwise (JSON \u escapes, %-encoding, a form, YAML, a CSV
-- header) or quoted a quote inside the value kept the reference. A body held here is a prefix of
-- what was sent and cannot be parsed again, so one that mentions the name anywhere but in the
-- form 0011 left (`"person_ref": "redacted"`, then the end of a value) is cut at its first
-- mention, as the door now cuts a body at a mention with no value beside it. Its size stays the
-- body's as sent; its digest becomes that of what is kept, as 0011 made it (a digest of a body
-- holding a reference would let a reader find it by trying every possible one).
CREATE FUNCTION pg_temp.the_name() RETURNS text LANGUAGE sql IMMUTABLE AS $$
    -- Each character as itself, as a JSON \u escape behind backslashes (the body is
    -- escape-encoded, so each of them doubled), or %-encoded; in any case.
    SELECT '(p|(\\\\)+u00(70|50)|%(70|50))(e|(\\\\)+u00(65|45)|%(65|45))(r|(\\\\)+u00(72|52)|%(72|52))(s|(\\\\)+u00(73|53)|%(73|53))(o|(\\\\)+u00(6f|4f)|%(6f|4f))(n|(\\\\)+u00(6e|4e)|%(6e|4e))(_|(\\\\)+u005f|%5f)(r|(\\\\)+u00(72|52)|%(72|52))(e|(\\\\)+u00(65|45)|%(65|45))(f|(\\\\)+u00(66|46)|%(66|46))'::text
$$;

CREATE FUNCTION pg_temp.first_mention(body text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN regexp_replace(body,
                'person_ref(\\\\)*"\s*:\s*(\\\\)*"redacted(\\\\)*"(?=[\s,}\]]|$)', '', 'gi')
             ~* pg_temp.the_name()
        THEN regexp_instr(body, pg_temp.the_name(), 1, 1, 0, 'i')
    END
$$;

WITH kept AS (
    SELECT seq, decode(substr(encode(payload, 'escape'), 1,
                              pg_temp.first_mention(encode(payload, 'escape')) - 1)
                       || 'redacted', 'escape') AS payload
    FROM dead_letters
    WHERE pg_temp.first_mention(encode(payload, 'escape')) IS NOT NULL
)
UPDATE dead_letters d SET payload = kept.payload, sha256 = sha256(kept.payload)
FROM kept WHERE d.seq = kept.seq;

DROP FUNCTION pg_temp.first_mention(text);
DROP FUNCTION pg_temp.the_name();
