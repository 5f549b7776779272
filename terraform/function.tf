# The function (functions/): a Cloud Function (2nd gen) fed by the push
# subscription google_pubsub_subscription.function (pubsub.tf) with every
# message of the alerts topic, storing the Avro as
# ztf_YYYYMMDD_programid1_<candid>.avro in the alert bucket, write-once.
# Bad messages go under quarantine/ in the same bucket. A failed write
# answers 500 and Pub/Sub redelivers with backoff; after
# max_delivery_attempts the message moves to the dead-letter topic, where
# the hold subscription keeps it for `ztfbridge redrive`.
#
# No Eventarc trigger: Eventarc's own subscription keeps messages 24 hours,
# has no dead-letter topic and cannot be watched by name, so a function
# broken for a weekend would lose the GCS copies of every alert. The
# subscription Terraform owns keeps them 7 days and dead-letters.

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
  # Longest run of one invocation; the push subscription's ack deadline is
  # above it, so Pub/Sub never redelivers a message still being stored.
  function_timeout_seconds = 60

  function_name           = "ztf-store-alert"
  function_sources_bucket = "gcf-v2-sources-${local.project_number}-${var.region}"

  function_env = merge(
    {
      ZTFBRIDGE_BUCKET = google_storage_bucket.alerts.name
      ZTFBRIDGE_PREFIX = var.alert_object_prefix
    },
    var.function_env,
  )
}

resource "google_cloudfunctions2_function" "store_alert" {
  name        = local.function_name
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
    timeout_seconds                  = local.function_timeout_seconds
    # Only the Pub/Sub push subscription of this project calls it (Cloud
    # Run counts Pub/Sub push from the same project as internal traffic),
    # and only with an OIDC token of the function's identity (run.invoker).
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env
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

# Push: the subscription's OIDC token names the function's identity, which
# may invoke this function's Cloud Run service only.
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

# Cloud Functions copies the source archive into the bucket it creates for
# the region's builds, gcf-v2-sources-<project number>-<region>, under the
# function's name, and Cloud Build reads it from there. That bucket does not
# exist before the first deploy, so the grant is on the project, held to
# reading (objectViewer: objects.get and objects.list) this function's
# sources in that one bucket by its condition: no write, no other
# function's sources, no other gcf-v2-* bucket.
resource "google_project_iam_member" "function_build_staging" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.function_build.member

  condition {
    title       = "gcf-sources-of-this-function"
    description = "Only this function's sources in the region's Cloud Functions sources bucket."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${local.function_sources_bucket}/objects/${local.function_name}/\")"
  }
}
