-- usage_logs.request_id used to hold the caller's X-Request-Id, and it is the row's idempotency
-- key (UNIQUE, ON CONFLICT DO NOTHING): a caller could send two requests under one id and be
-- logged (and billed) once, or reuse another tenant's id and be logged not at all. From this
-- migration on the gateway makes request_id itself, one per request, and keeps the caller's id
-- here, where it is only something to look a request up by: indexed, never unique.
-- Rows written before keep the caller's id in request_id and NULL here; nothing is rewritten, so
-- the migration stays instant on a large table (ADD COLUMN without a default touches no row).
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS client_request_id TEXT;

CREATE INDEX IF NOT EXISTS idx_usage_logs_client_request_id ON usage_logs(client_request_id);
