-- Places under the limits every node of a cluster must share (sign-in failures per account
-- and per address, sign-ups per address): a place is taken before the work, then counted or
-- given back (src/server/store/sql/throttle.rs). `throttle_keys` holds one row per key, the
-- lock taken first in every transaction that takes places, so that checks arriving at once,
-- on one node or several, are counted like checks in a row.
CREATE TABLE throttle_keys (
    key TEXT PRIMARY KEY
);

CREATE TABLE throttle_places (
    id      BIGSERIAL PRIMARY KEY,
    key     TEXT    NOT NULL,
    -- ms since the epoch: when the place was taken, then when it was counted.
    at      BIGINT  NOT NULL,
    counted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX throttle_places_key ON throttle_places (key, at);
