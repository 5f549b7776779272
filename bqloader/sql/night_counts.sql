-- night_counts: what BigQuery holds for each night. candids is the number
-- of alerts of the night in the alerts view; raw_rows - candids is how
-- many duplicate rows alerts_raw holds (replays and redeliveries the
-- loader did not catch; harmless, the alerts view hides them).
CREATE OR REPLACE VIEW `${project}.${dataset}.night_counts`
OPTIONS (description = "Rows, distinct candids and duplicates of each night in alerts_raw (bqloader/sql/night_counts.sql)")
AS
SELECT
  night,
  COUNT(*) AS raw_rows,
  COUNT(DISTINCT candid) AS candids,
  COUNT(*) - COUNT(DISTINCT candid) AS duplicate_rows,
  COUNT(DISTINCT objectId) AS objects,
  MIN(ingest_time) AS first_ingest_time,
  MAX(ingest_time) AS last_ingest_time
FROM `${project}.${dataset}.alerts_raw`
GROUP BY night
