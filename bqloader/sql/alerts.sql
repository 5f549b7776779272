-- alerts: the table analysts query. Exactly one row per candid, whatever
-- alerts_raw holds.
--
-- The loader writes every alert to alerts_raw at least once; a Pub/Sub
-- redelivery, a loader restart during the 10am replay or two loaders
-- racing on one candid can write it twice. This view keeps the first row
-- written for each candid. A candid determines its night and objectId, so
-- partitioning the window by them as well changes no result but lets
-- BigQuery push filters on night (partition pruning) and objectId
-- (clustering) below the window: WHERE night = ... reads one partition.
CREATE OR REPLACE VIEW `${project}.${dataset}.alerts`
OPTIONS (description = "ZTF alerts, exactly one row per candid: alerts_raw deduplicated (bqloader/sql/alerts.sql)")
AS
SELECT *
FROM `${project}.${dataset}.alerts_raw`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY night, objectId, candid
  ORDER BY ingest_time, kafka_topic, kafka_partition, kafka_offset
) = 1
