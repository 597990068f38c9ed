-- Stored responses of POST /v1/responses (OpenAI's Responses API), so a client can read one back
-- (GET /v1/responses/{id}), list what it was given (input_items) and continue from it
-- (previous_response_id). Every row belongs to an account (user_id) and, within it, to the end
-- user the application named ('' for the account's own scope): a lookup always names both, so
-- one end user can never reach another's conversation.
--
-- input_items is the whole context the response answered: the earlier turns of its chain, then
-- the request's own input. A continuation reads one row, and a chain survives the deletion (or
-- retention) of its earlier responses. Both JSON columns are TEXT, not JSONB: JSONB refuses the
-- \u0000 escape, and a NUL in a user's text must not make an answered request unstorable.
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    end_user TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    previous_response_id TEXT,
    input_items TEXT NOT NULL,
    response TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_responses_user_id_end_user ON responses(user_id, end_user);
-- Retention deletes by age.
CREATE INDEX IF NOT EXISTS idx_responses_created_at ON responses(created_at);

-- Only the gateway reads and writes stored responses; with row-level security on and no policy,
-- Supabase's API roles see none of them.
ALTER TABLE responses ENABLE ROW LEVEL SECURITY;
