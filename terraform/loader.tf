# The loader (bqloader/): `ztfbridge load` in a Cloud Run worker pool. It
# pulls the alerts topic through its own subscription, appends rows to
# alerts_raw with the Storage Write API, and acknowledges only what BigQuery
# durably holds; the alerts view shows one row per candid. At start-up it
# checks the subscription, adds the columns of newer ZTF versions to
# alerts_raw and replaces the views. See docs/deploy.md for why a worker pool.

resource "google_service_account" "loader" {
  account_id   = "ztf-bqloader"
  display_name = "ztfbridge loader (Pub/Sub -> BigQuery)"
  depends_on   = [google_project_service.apis]
}

locals {
  loader_env = merge(
    {
      ZTFBRIDGE_PROJECT          = var.project_id
      ZTFBRIDGE_PUBSUB_PROJECT   = var.project_id
      ZTFBRIDGE_SUBSCRIPTION     = google_pubsub_subscription.loader.name
      ZTFBRIDGE_PUBSUB_TOPIC     = google_pubsub_topic.alerts.name
      ZTFBRIDGE_DEADLETTER_TOPIC = google_pubsub_topic.deadletter.name
      ZTFBRIDGE_DATASET          = google_bigquery_dataset.ztf.dataset_id
      ZTFBRIDGE_LOCATION         = google_bigquery_dataset.ztf.location
    },
    var.loader_env,
  )
}

resource "google_cloud_run_v2_worker_pool" "loader" {
  name                = "ztf-bqloader"
  location            = var.region
  description         = "ztfbridge load: ${google_pubsub_subscription.loader.name} -> ${google_bigquery_dataset.ztf.dataset_id}.${google_bigquery_table.alerts_raw.table_id}"
  deletion_protection = false

  scaling {
    scaling_mode          = "MANUAL"
    manual_instance_count = var.loader_instances
  }

  template {
    service_account = google_service_account.loader.email

    containers {
      name  = "loader"
      image = var.loader_image
      args  = ["load"]

      dynamic "env" {
        for_each = local.loader_env
        content {
          name  = env.key
          value = env.value
        }
      }

      resources {
        limits = {
          cpu    = var.loader_cpu
          memory = var.loader_memory
        }
      }
    }
  }

  depends_on = [
    google_project_iam_member.component,
    google_pubsub_subscription_iam_member.loader_pull,
    google_pubsub_topic_iam_member.loader_deadletter,
    google_bigquery_dataset_iam_member.loader_write,
  ]
}

# Pull (and acknowledge) from its own subscription only, and read its
# settings (the start-up check).
resource "google_pubsub_subscription_iam_member" "loader_pull" {
  for_each = toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])

  subscription = google_pubsub_subscription.loader.name
  role         = each.value
  member       = google_service_account.loader.member
}

# Publish what it cannot load to the dead-letter topic, and read the
# topic's settings: the loader checks the topic exists (GetTopic, which
# needs pubsub.topics.get) before it receives anything, and refuses to start
# without it.
resource "google_pubsub_topic_iam_member" "loader_deadletter" {
  for_each = toset(["roles/pubsub.publisher", "roles/pubsub.viewer"])

  topic  = google_pubsub_topic.deadletter.name
  role   = each.value
  member = google_service_account.loader.member
}

moved {
  from = google_pubsub_topic_iam_member.loader_deadletter
  to   = google_pubsub_topic_iam_member.loader_deadletter["roles/pubsub.publisher"]
}

# Write rows, add columns, replace the views and read back candids, in this
# dataset only (the queries run as jobs: roles/bigquery.jobUser in main.tf).
resource "google_bigquery_dataset_iam_member" "loader_write" {
  dataset_id = google_bigquery_dataset.ztf.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.loader.member
}
