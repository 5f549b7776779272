# Cloud Monitoring: one dashboard for the whole pipeline and the alert
# policies an operator needs at night. The connector's own metrics come from
# its Prometheus endpoint, scraped by the Ops Agent on the VM (metric types
# prometheus.googleapis.com/<name>/<kind>, queried here with PromQL); the
# function, loader, bucket and topics are watched through the metrics Google
# Cloud records for them.

locals {
  # Prometheus metric names of `ztfbridge connect` (connector/metrics.go).
  connector_metric = {
    consumed     = "ztfbridge_connector_consumed_total"
    published    = "ztfbridge_connector_published_total"
    failed       = "ztfbridge_connector_publish_failures_total"
    deadlettered = "ztfbridge_connector_dead_lettered_total"
    lag          = "ztfbridge_connector_lag"
  }
  connector_job = "ztfbridge-connect"

  function_service = google_cloudfunctions2_function.store_alert.name

  # Filters of the Google Cloud metrics shown below.
  filter = {
    function_requests = "metric.type=\"run.googleapis.com/request_count\" resource.type=\"cloud_run_revision\" resource.label.service_name=\"${local.function_service}\""
    function_latency  = "metric.type=\"run.googleapis.com/request_latencies\" resource.type=\"cloud_run_revision\" resource.label.service_name=\"${local.function_service}\""
    function_backlog  = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"${google_pubsub_subscription.function.name}\""
    function_oldest   = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"${google_pubsub_subscription.function.name}\""
    loader_backlog    = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"${google_pubsub_subscription.loader.name}\""
    loader_oldest     = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"${google_pubsub_subscription.loader.name}\""
    loader_acked      = "metric.type=\"pubsub.googleapis.com/subscription/ack_message_count\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"${google_pubsub_subscription.loader.name}\""
    rows_written      = "metric.type=\"bigquerystorage.googleapis.com/write/uploaded_row_count\" resource.label.dataset_id=\"${google_bigquery_dataset.ztf.dataset_id}\""
    gcs_writes        = "metric.type=\"storage.googleapis.com/api/request_count\" resource.type=\"gcs_bucket\" resource.label.bucket_name=\"${google_storage_bucket.alerts.name}\" metric.label.method=\"WriteObject\""
    gcs_objects       = "metric.type=\"storage.googleapis.com/storage/object_count\" resource.type=\"gcs_bucket\" resource.label.bucket_name=\"${google_storage_bucket.alerts.name}\""
    deadletters       = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"${google_pubsub_subscription.deadletter_hold.name}\""
    # Every message published to the dead-letter topic: by the connector,
    # the loader, or Pub/Sub giving up on the function or the loader.
    deadletters_in = "metric.type=\"pubsub.googleapis.com/topic/send_message_operation_count\" resource.type=\"pubsub_topic\" resource.label.topic_id=\"${google_pubsub_topic.deadletter.name}\""
  }

  # One dashboard chart: a title and its lines, each either a PromQL query
  # (promql) or a Monitoring filter with its aligner and grouping.
  charts = [
    {
      title = "Connector: alerts consumed and published per second"
      lines = [
        { promql = "sum(rate(${local.connector_metric.consumed}[5m]))", legend = "consumed from Kafka" },
        { promql = "sum(rate(${local.connector_metric.published}[5m]))", legend = "published to Pub/Sub" },
        { promql = "sum by (reason) (rate(${local.connector_metric.deadlettered}[5m]))", legend = "dead-lettered: $${metric.labels.reason}" },
        { promql = "sum(rate(${local.connector_metric.failed}[5m]))", legend = "publish failures" },
      ]
    },
    {
      title = "Connector: Kafka consumer lag (messages) by topic"
      lines = [
        { promql = "sum by (topic) (${local.connector_metric.lag})", legend = "$${metric.labels.topic}" },
      ]
    },
    {
      title = "Function: invocations per second by response class"
      lines = [
        { filter = local.filter.function_requests, aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.label.response_code_class"] },
      ]
    },
    {
      title = "Function: latency (p50, p99)"
      lines = [
        { filter = local.filter.function_latency, aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_50", group_by = [] },
        { filter = local.filter.function_latency, aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_99", group_by = [] },
      ]
    },
    {
      title = "GCS: alert object writes per second (FAILED_PRECONDITION = duplicate, kept once)"
      lines = [
        { filter = local.filter.gcs_writes, aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = ["metric.label.response_code"] },
      ]
    },
    {
      title = "GCS: objects in the alert bucket (sampled daily)"
      lines = [
        { filter = local.filter.gcs_objects, aligner = "ALIGN_MEAN", reducer = "REDUCE_SUM", group_by = [] },
      ]
    },
    {
      title = "Loader: rows written to BigQuery (Storage Write API) and alerts acknowledged per second"
      lines = [
        { filter = local.filter.rows_written, aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = [] },
        { filter = local.filter.loader_acked, aligner = "ALIGN_RATE", reducer = "REDUCE_SUM", group_by = [] },
      ]
    },
    {
      title = "Backlogs: unacknowledged alerts of the function (${google_pubsub_subscription.function.name}) and the loader (${google_pubsub_subscription.loader.name})"
      lines = [
        { filter = local.filter.function_backlog, aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = ["resource.label.subscription_id"] },
        { filter = local.filter.loader_backlog, aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = ["resource.label.subscription_id"] },
      ]
    },
    {
      title = "Backlogs: age of the oldest unacknowledged alert (s) of the function and the loader"
      lines = [
        { filter = local.filter.function_oldest, aligner = "ALIGN_MAX", reducer = "REDUCE_MAX", group_by = ["resource.label.subscription_id"] },
        { filter = local.filter.loader_oldest, aligner = "ALIGN_MAX", reducer = "REDUCE_MAX", group_by = ["resource.label.subscription_id"] },
      ]
    },
    {
      title = "Dead letters waiting in ${google_pubsub_subscription.deadletter_hold.name}"
      lines = [
        { filter = local.filter.deadletters, aligner = "ALIGN_MAX", reducer = "REDUCE_SUM", group_by = [] },
      ]
    },
  ]
}

resource "google_monitoring_dashboard" "ztfbridge" {
  dashboard_json = jsonencode({
    displayName = "ztfbridge"
    mosaicLayout = {
      columns = 12
      tiles = [for i, c in local.charts : {
        xPos   = (i % 2) * 6
        yPos   = floor(i / 2) * 4
        width  = 6
        height = 4
        widget = {
          title = c.title
          xyChart = {
            # PromQL lines, then filter lines (a chart has one kind).
            dataSets = concat(
              [for l in c.lines : {
                plotType           = "LINE"
                minAlignmentPeriod = "60s"
                legendTemplate     = l.legend
                timeSeriesQuery    = { prometheusQuery = l.promql }
              } if can(l.promql)],
              [for l in c.lines : {
                plotType           = "LINE"
                minAlignmentPeriod = "60s"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = l.filter
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = l.aligner
                      crossSeriesReducer = l.reducer
                      groupByFields      = l.group_by
                    }
                  }
                }
              } if !can(l.promql)],
            )
          }
        }
      }]
    }
  })

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  display_name = "ztfbridge: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
  depends_on = [google_project_service.apis]
}

locals {
  notification_channels = [for c in google_monitoring_notification_channel.email : c.id]
}

# The connector falls behind the ZTF stream: alerts pile up in Kafka, whose
# retention is a few days, so a long lag risks losing a night.
resource "google_monitoring_alert_policy" "consumer_lag" {
  display_name          = "ztfbridge: connector Kafka lag above ${var.lag_alert_threshold}"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Kafka consumer lag"
    condition_prometheus_query_language {
      query               = "sum(${local.connector_metric.lag}) > ${var.lag_alert_threshold}"
      duration            = "${var.lag_alert_minutes * 60}s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The connector on VM ztf-connector is more than ${var.lag_alert_threshold} messages behind ZTF's Kafka for ${var.lag_alert_minutes} minutes. Check its log (Logs Explorer, log name ztfbridge), the VM's CPU, and the publish failures on the ztfbridge dashboard. Raise ZTFBRIDGE_CONSUMERS or the machine type if it is CPU-bound."
  }

  depends_on = [google_project_service.apis]
}

# The connector is not running (or not scraped): the lag alert cannot fire
# without its metrics, so their absence is an alert of its own.
resource "google_monitoring_alert_policy" "connector_down" {
  display_name          = "ztfbridge: connector not reporting"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "No metrics from the connector"
    condition_prometheus_query_language {
      query               = "absent_over_time(process_start_time_seconds{job=\"${local.connector_job}\"}[10m])"
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "No metrics from `ztfbridge connect` on VM ztf-connector for 15 minutes: the VM is down, the service keeps crashing (systemd restarts it), or the Ops Agent stopped."
  }

  depends_on = [google_project_service.apis]
}

# The loader falls behind: alerts wait in its subscription, whose retention
# is var.subscription_retention.
resource "google_monitoring_alert_policy" "loader_backlog" {
  display_name          = "ztfbridge: loader backlog older than ${var.loader_backlog_alert_minutes} min"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Oldest unacknowledged alert in ${google_pubsub_subscription.loader.name}"
    condition_threshold {
      filter          = local.filter.loader_oldest
      comparison      = "COMPARISON_GT"
      threshold_value = var.loader_backlog_alert_minutes * 60
      duration        = "600s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The loader (Cloud Run worker pool ztf-bqloader) has not acknowledged an alert for ${var.loader_backlog_alert_minutes} minutes. Check its logs and BigQuery errors; raise loader_instances if it is merely slow."
  }
}

# Something reached the dead-letter topic: it is kept in the hold
# subscription until someone looks at it.
resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "ztfbridge: dead letters waiting"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Messages in ${google_pubsub_subscription.deadletter_hold.name}"
    condition_threshold {
      filter          = local.filter.deadletters
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Messages wait in ${google_pubsub_subscription.deadletter_hold.name}; their `reason` or `error` attribute says why. Look at a few with `gcloud pubsub subscriptions pull ${google_pubsub_subscription.deadletter_hold.name} --limit 10` (without --auto-ack), count them with `ztfbridge redrive --dry-run`, and once the cause is fixed put them back on the alerts topic with `ztfbridge redrive` (docs/operating.md)."
  }
}

# A Kafka partition the connector stopped reading: its lag is above zero and
# has not changed for lag_stall_minutes. The summed-lag alert above misses
# this at the end of a night, when the stream is quiet and a few thousand
# alerts of one stuck partition are far below its threshold; Kafka's
# retention would then drop them.
resource "google_monitoring_alert_policy" "lag_stalled" {
  display_name          = "ztfbridge: a Kafka partition's lag has not moved for ${var.lag_stall_minutes} min"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Partition lag above zero and unchanged"
    condition_prometheus_query_language {
      query               = "(max by (topic, partition) (${local.connector_metric.lag}) > 0) and on (topic, partition) (max by (topic, partition) (changes(${local.connector_metric.lag}[${var.lag_stall_minutes}m])) == 0)"
      duration            = "60s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A partition of the ZTF topic named in the alert has had the same non-zero lag for ${var.lag_stall_minutes} minutes: the connector holds it but does not commit. Check the connector's log for that partition (publish failures, a stuck batch) and restart the service (`sudo systemctl restart ztfbridge-connect` on VM ztf-connector): the group resumes from the committed offset."
  }

  depends_on = [google_project_service.apis]
}

# The function falls behind or fails: alerts wait in its push subscription.
# A function that fails every alert is also noticed by the dead-letter alert
# once the attempts are used up; this one fires first.
resource "google_monitoring_alert_policy" "function_backlog" {
  display_name          = "ztfbridge: function backlog older than ${var.function_backlog_alert_minutes} min"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Oldest unacknowledged alert in ${google_pubsub_subscription.function.name}"
    condition_threshold {
      filter          = local.filter.function_oldest
      comparison      = "COMPARISON_GT"
      threshold_value = var.function_backlog_alert_minutes * 60
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The function ${local.function_service} has not stored an alert of ${google_pubsub_subscription.function.name} for ${var.function_backlog_alert_minutes} minutes. Look at its logs and its 5xx responses on the ztfbridge dashboard (a bad deploy, a lost permission on the bucket). Alerts it keeps failing move to ${google_pubsub_topic.deadletter.name} after ${var.max_delivery_attempts} attempts; once fixed, put them back with `ztfbridge redrive` (docs/operating.md)."
  }
}

# New dead letters: fires as they arrive, where dead_letters fires while
# some wait. Both stay until the cause is fixed and the hold is redriven or
# drained.
resource "google_monitoring_alert_policy" "dead_letters_arriving" {
  display_name          = "ztfbridge: dead letters arriving"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "Messages published to ${google_pubsub_topic.deadletter.name}"
    condition_threshold {
      filter          = local.filter.deadletters_in
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_DELTA"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Messages are being published to ${google_pubsub_topic.deadletter.name}. Their `reason` (or `error`) attribute says why; those without one carry `CloudPubSubDeadLetterSourceSubscription`: Pub/Sub gave up delivering them to that subscription's stage. `ztfbridge redrive --subscription ${google_pubsub_subscription.deadletter_hold.name} --dry-run` counts them by reason."
  }
}
