// The batch tables: files (uploads, and output files rendered from lines), batches, and one row per line.

/** SQLite: amounts are decimal TEXT (they overflow its integers) and added up in JS inside IMMEDIATE transactions. */
export const sqliteSchema = `
CREATE TABLE IF NOT EXISTS batch_files (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  filename TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  batch_id TEXT,
  kind TEXT NOT NULL,
  content BLOB
);
CREATE INDEX IF NOT EXISTS batch_files_key ON batch_files (key_id, created_at);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  input_file_id TEXT NOT NULL,
  completion_window TEXT NOT NULL,
  status TEXT NOT NULL,
  metadata TEXT,
  model TEXT,
  errors TEXT,
  output_file_id TEXT,
  error_file_id TEXT,
  created_at INTEGER NOT NULL,
  in_progress_at INTEGER,
  finalizing_at INTEGER,
  completed_at INTEGER,
  failed_at INTEGER,
  expired_at INTEGER,
  cancelling_at INTEGER,
  cancelled_at INTEGER,
  expires_at INTEGER NOT NULL,
  total INTEGER NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  period_start INTEGER NOT NULL,
  held_cost TEXT NOT NULL,
  held_tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_key ON batches (key_id, created_at);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status);
CREATE TABLE IF NOT EXISTS batch_lines (
  batch_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  custom_id TEXT NOT NULL,
  body TEXT NOT NULL,
  model TEXT NOT NULL,
  hold_cost TEXT NOT NULL,
  hold_tokens INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  claimed_at INTEGER,
  response TEXT,
  error TEXT,
  completed_at INTEGER,
  PRIMARY KEY (batch_id, idx),
  UNIQUE (batch_id, custom_id)
);
CREATE INDEX IF NOT EXISTS batch_lines_status ON batch_lines (batch_id, status, idx);
CREATE INDEX IF NOT EXISTS batch_lines_claimed ON batch_lines (status, claimed_at);
`;

/** PostgreSQL: amounts are NUMERIC(78, 0), bodies and results JSONB. */
export const postgresSchema = `
CREATE TABLE IF NOT EXISTS batch_files (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  filename TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  batch_id TEXT,
  kind TEXT NOT NULL,
  content BYTEA
);
CREATE INDEX IF NOT EXISTS batch_files_key ON batch_files (key_id, created_at);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  input_file_id TEXT NOT NULL,
  completion_window TEXT NOT NULL,
  status TEXT NOT NULL,
  metadata JSONB,
  model TEXT,
  errors JSONB,
  output_file_id TEXT,
  error_file_id TEXT,
  created_at BIGINT NOT NULL,
  in_progress_at BIGINT,
  finalizing_at BIGINT,
  completed_at BIGINT,
  failed_at BIGINT,
  expired_at BIGINT,
  cancelling_at BIGINT,
  cancelled_at BIGINT,
  expires_at BIGINT NOT NULL,
  total BIGINT NOT NULL,
  completed BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  period_start BIGINT NOT NULL,
  held_cost NUMERIC(78, 0) NOT NULL,
  held_tokens BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_key ON batches (key_id, created_at);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status);
CREATE TABLE IF NOT EXISTS batch_lines (
  batch_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  custom_id TEXT NOT NULL,
  body JSONB NOT NULL,
  model TEXT NOT NULL,
  hold_cost NUMERIC(78, 0) NOT NULL,
  hold_tokens BIGINT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before BIGINT NOT NULL DEFAULT 0,
  claimed_by TEXT,
  claimed_at BIGINT,
  response JSONB,
  error JSONB,
  completed_at BIGINT,
  PRIMARY KEY (batch_id, idx),
  UNIQUE (batch_id, custom_id)
);
CREATE INDEX IF NOT EXISTS batch_lines_status ON batch_lines (batch_id, status, idx);
CREATE INDEX IF NOT EXISTS batch_lines_claimed ON batch_lines (status, claimed_at);
`;
