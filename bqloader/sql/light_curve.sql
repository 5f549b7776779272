-- light_curve: every photometric point ZTF reported for an object, one
-- row per detection and per upper limit (non-detection).
--
-- Each alert carries its detection (candidate) and the previous 30 days
-- (prv_candidates), where upper limits have a NULL candid. Successive
-- alerts of an object repeat that history, so points are deduplicated:
-- a detection by its candid, preferring the alert's own candidate record;
-- an upper limit by the image it was measured on (pid) and filter (fid).
-- Filter on objectId: it is pushed down to the clustered alerts_raw.
CREATE OR REPLACE VIEW `${project}.${dataset}.light_curve`
OPTIONS (description = "Detections and upper limits of each objectId from candidate and prv_candidates, one row per point (bqloader/sql/light_curve.sql)")
AS
WITH points AS (
  SELECT
    objectId,
    candidate.jd AS jd,
    candidate.fid AS fid,
    candidate.pid AS pid,
    candidate.magpsf AS magpsf,
    candidate.sigmapsf AS sigmapsf,
    candidate.diffmaglim AS diffmaglim,
    candidate.isdiffpos AS isdiffpos,
    candidate.ra AS ra,
    candidate.dec AS dec,
    candid,
    FALSE AS is_upper_limit,
    candid AS alert_candid,
    0 AS source
  FROM `${project}.${dataset}.alerts`
  UNION ALL
  SELECT
    a.objectId,
    p.jd,
    p.fid,
    p.pid,
    p.magpsf,
    p.sigmapsf,
    p.diffmaglim,
    p.isdiffpos,
    p.ra,
    p.dec,
    p.candid,
    p.candid IS NULL,
    a.candid,
    1
  FROM `${project}.${dataset}.alerts` AS a, UNNEST(a.prv_candidates) AS p
)
SELECT * EXCEPT (source)
FROM points
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY objectId, is_upper_limit, IFNULL(candid, pid), fid
  ORDER BY source, alert_candid DESC
) = 1
