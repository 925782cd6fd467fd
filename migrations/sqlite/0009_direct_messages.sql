-- Direct messages: a conversation of kind 'direct' between exactly two people, one per pair.

-- 'group': a title, an owner, roles, invite links. 'direct': two members and nothing else;
-- its title is left empty (the side nav shows the other person's username).
ALTER TABLE conversations ADD COLUMN kind TEXT NOT NULL DEFAULT 'group'
    CHECK (kind IN ('group', 'direct'));
-- For a direct conversation: its two members' user ids, the lower one first; NULL for groups.
-- The unique index makes a pair's conversation one row however many requests race to create
-- it (the insert is ON CONFLICT DO NOTHING); groups' NULLs never collide.
ALTER TABLE conversations ADD COLUMN direct_low INTEGER REFERENCES users (id);
ALTER TABLE conversations ADD COLUMN direct_high INTEGER REFERENCES users (id);
CREATE UNIQUE INDEX conversations_direct_pair ON conversations (direct_low, direct_high);

-- A member who closed the conversation (direct ones only) does not see it in the side nav
-- until a message with a seq above this one arrives; NULL: shown. The person a new direct
-- conversation is with starts at 0: it appears for them once something is said.
ALTER TABLE members ADD COLUMN hidden_seq INTEGER;
-- "Whom does this message bring it back to": an empty range for every other conversation.
CREATE INDEX members_hidden ON members (conversation_id) WHERE hidden_seq IS NOT NULL;
