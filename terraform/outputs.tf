# What an operator (and `ztfbridge count`, scripts/count-night.sh,
# scripts/backfill.sh) needs to find the deployment: `terraform output -json`.

output "project_id" {
  description = "Project that holds the pipeline."
  value       = var.project_id
}

output "connector_ip" {
  description = "Static public address of the connector VM: give it to ZTF for their Kafka allow-list."
  value       = google_compute_address.connector.address
}

output "connector_vm" {
  description = "Name and zone of the connector VM (gcloud compute ssh NAME --zone ZONE --tunnel-through-iap)."
  value = {
    name = google_compute_instance.connector.name
    zone = google_compute_instance.connector.zone
  }
}

output "alert_bucket" {
  description = "Bucket with one Avro object per alert: gs://BUCKET/ztf_YYYYMMDD_programid1_<candid>.avro."
  value       = google_storage_bucket.alerts.name
}

output "connector_counts_prefix" {
  description = "Where the connector keeps its per-night records of what it published (in the alert bucket)."
  value       = "gs://${google_storage_bucket.alerts.name}/${local.connector_counts_prefix}"
}

output "artifacts_bucket" {
  description = "Bucket of the uploaded ztfbridge binary and function source."
  value       = google_storage_bucket.artifacts.name
}

output "topics" {
  description = "Pub/Sub topics by role: alerts (the connector publishes), deadletter (everything that could not be processed), objects (notifications of new alert objects)."
  value = {
    alerts     = google_pubsub_topic.alerts.name
    deadletter = google_pubsub_topic.deadletter.name
    objects    = google_pubsub_topic.objects.name
  }
}

output "subscriptions" {
  description = "Pub/Sub subscriptions by role: loader (the loader pulls), deadletter_hold (keeps dead letters for inspection)."
  value = {
    loader          = google_pubsub_subscription.loader.name
    deadletter_hold = google_pubsub_subscription.deadletter_hold.name
  }
}

output "dataset" {
  description = "BigQuery dataset of the alert table and views."
  value       = google_bigquery_dataset.ztf.dataset_id
}

output "bigquery" {
  description = "BigQuery tables as PROJECT.DATASET.TABLE: alerts (the view with one row per candid, what analysts query), alerts_raw (every row written, partitioned by night), and each view of bqloader/sql."
  value = merge(
    { for name, v in merge(module.views.views, module.views_of_views.views) : name => "${var.project_id}.${google_bigquery_dataset.ztf.dataset_id}.${v.table_id}" },
    { alerts_raw = "${var.project_id}.${google_bigquery_table.alerts_raw.dataset_id}.${google_bigquery_table.alerts_raw.table_id}" },
  )
}

output "function" {
  description = "Name of the Cloud Function that stores alerts in the bucket."
  value       = google_cloudfunctions2_function.store_alert.name
}

output "loader" {
  description = "Name of the Cloud Run worker pool running the loader."
  value       = google_cloud_run_v2_worker_pool.loader.name
}

output "kafka" {
  description = "Kafka brokers and consumer group the connector uses (for counting and backfilling a night)."
  value = {
    brokers = join(",", var.ztf_kafka_brokers)
    group   = var.kafka_group
  }
}

output "service_accounts" {
  description = "E-mail of each component's service account."
  value = {
    connector      = google_service_account.connector.email
    function       = google_service_account.function.email
    function_build = google_service_account.function_build.email
    loader         = google_service_account.loader.email
  }
}

output "dashboard" {
  description = "Cloud Console address of the ztfbridge dashboard."
  value       = "https://console.cloud.google.com/monitoring/dashboards/builder/${element(split("/", google_monitoring_dashboard.ztfbridge.id), 3)}?project=${var.project_id}"
}
