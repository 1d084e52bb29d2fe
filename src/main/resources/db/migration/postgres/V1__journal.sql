-- Journal schema for PostgreSQL, version 1: applied by each node at start (Flyway,
-- seckill.journal.Migrations), or by ops in version order when SECKILL_DB_MIGRATE=off (psql -f V1__journal.sql).
-- Same tables as pekko-persistence-jdbc's schema/postgres/postgres-create-schema.sql, re-runnable,
-- with plain CREATE INDEX so the whole file runs in one transaction (Flyway's default for a migration).
-- A released migration never changes (Flyway checks its checksum): changes go in V2 and on.
CREATE TABLE IF NOT EXISTS public.event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);
CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON public.event_journal (ordering);
CREATE TABLE IF NOT EXISTS public.event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY (event_id) REFERENCES public.event_journal (ordering) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS public.snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);
-- Big snapshots in parts (seckill.journal.PartedSnapshotStore): the head stays in snapshot. Parts are
-- stored uncompressed: pglz on a 46 MB snapshot cost more time than writing it.
CREATE TABLE IF NOT EXISTS public.snapshot_part (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  part INTEGER NOT NULL,
  payload BYTEA NOT NULL,
  PRIMARY KEY (persistence_id, sequence_number, part)
);
ALTER TABLE public.snapshot_part ALTER COLUMN payload SET STORAGE EXTERNAL;
-- Offsets of the orders projection (pekko-projection-jdbc's PostgreSQL tables). The service also
-- creates them with CREATE TABLE IF NOT EXISTS when Kafka is on; here for roles without DDL rights.
CREATE TABLE IF NOT EXISTS public.pekko_projection_offset_store (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  current_offset VARCHAR(255) NOT NULL,
  manifest VARCHAR(4) NOT NULL,
  mergeable BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);
CREATE INDEX IF NOT EXISTS projection_name_index ON public.pekko_projection_offset_store (projection_name);
CREATE TABLE IF NOT EXISTS public.pekko_projection_management (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  paused BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);
