# The function (functions/): a Cloud Function (2nd gen) triggered by every
# message of the alerts topic, storing the Avro as
# ztf_YYYYMMDD_programid1_<candid>.avro in the alert bucket, write-once.
# Bad messages go under quarantine/ in the same bucket. A failed write
# returns an error and Pub/Sub redelivers (retry policy RETRY).

resource "google_service_account" "function" {
  account_id   = "ztf-function"
  display_name = "ztfbridge function (Pub/Sub -> GCS)"
  depends_on   = [google_project_service.apis]
}

# Cloud Build builds the Go source; its own identity keeps the build's rights
# away from the runtime's.
resource "google_service_account" "function_build" {
  account_id   = "ztf-function-build"
  display_name = "ztfbridge function build (Cloud Build)"
  depends_on   = [google_project_service.apis]
}

# The archive scripts/build-function-zip.sh makes, named by its MD5 so that a
# new archive redeploys the function.
resource "google_storage_bucket_object" "function_source" {
  bucket       = google_storage_bucket.artifacts.name
  name         = "functions/store-alert-${filemd5(var.function_source_zip)}.zip"
  source       = var.function_source_zip
  content_type = "application/zip"
}

# Images built for the function; a repository of our own so that the build
# identity can push there and nowhere else.
resource "google_artifact_registry_repository" "functions" {
  repository_id = "ztfbridge-functions"
  location      = var.region
  format        = "DOCKER"
  description   = "Images Cloud Build makes from functions/ (ztfbridge)."

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.apis]
}

locals {
  function_env = merge(
    {
      ZTFBRIDGE_BUCKET = google_storage_bucket.alerts.name
      ZTFBRIDGE_PREFIX = var.alert_object_prefix
    },
    var.function_env,
  )
}

resource "google_cloudfunctions2_function" "store_alert" {
  name        = "ztf-store-alert"
  location    = var.region
  description = "Stores each alert of ${google_pubsub_topic.alerts.name} in gs://${google_storage_bucket.alerts.name}, write-once."

  build_config {
    runtime           = var.function_runtime
    entry_point       = var.function_entry_point
    service_account   = google_service_account.function_build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket_object.function_source.bucket
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function.email
    available_memory                 = var.function_memory
    available_cpu                    = "1"
    max_instance_count               = var.function_max_instances
    max_instance_request_concurrency = var.function_concurrency
    min_instance_count               = 0
    timeout_seconds                  = 60
    # Only Eventarc (Pub/Sub push) calls it.
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.alerts.id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.function.email
  }

  depends_on = [
    google_project_iam_member.component,
    google_project_iam_member.function_build_staging,
    google_storage_bucket_iam_member.function_build_source,
    google_artifact_registry_repository_iam_member.function_build,
    google_storage_bucket_iam_member.function_write,
  ]
}

# Runtime: create objects in the alert bucket (alerts and quarantine/),
# nothing else. The write-once upload carries a does-not-exist precondition,
# so a duplicate is answered 412 without any read; with no delete permission
# an object, once written, can never be replaced.
resource "google_storage_bucket_iam_member" "function_write" {
  bucket = google_storage_bucket.alerts.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.function.member
}

# Trigger: Eventarc's push subscription authenticates as the function's
# identity, which may invoke this function's Cloud Run service only.
resource "google_cloud_run_v2_service_iam_member" "function_invoker" {
  name     = google_cloudfunctions2_function.store_alert.name
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.function.member
}

# Projects created before April 2021 need the Pub/Sub service agent to mint
# tokens for push authentication; granted on the function's identity only.
resource "google_service_account_iam_member" "pubsub_agent_function_token" {
  service_account_id = google_service_account.function.id
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# Build: read the source archive, push the image to our repository.
resource "google_storage_bucket_iam_member" "function_build_source" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.function_build.member

  condition {
    title       = "function-sources-only"
    description = "Only the function source archives."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/functions/\")"
  }
}

resource "google_artifact_registry_repository_iam_member" "function_build" {
  repository = google_artifact_registry_repository.functions.name
  location   = google_artifact_registry_repository.functions.location
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.function_build.member
}

# Cloud Functions stages the sources of each build in buckets it creates
# itself (gcf-v2-sources-*, gcf-v2-uploads-*), which do not exist before the
# first deploy; the condition keeps the grant to those buckets.
resource "google_project_iam_member" "function_build_staging" {
  project = var.project_id
  role    = "roles/storage.objectAdmin"
  member  = google_service_account.function_build.member

  condition {
    title       = "gcf-staging-buckets-only"
    description = "Only the buckets Cloud Functions creates for its builds."
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-\")"
  }
}
