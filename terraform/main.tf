# ztfbridge on Google Cloud: the ZTF Kafka stream -> connector VM -> Pub/Sub
# topic -> (Cloud Function -> one Avro object per alert in GCS) and
# (loader on Cloud Run -> one BigQuery row per candid).
#
# One file per component: network.tf, connector.tf, pubsub.tf, storage.tf,
# function.tf, bigquery.tf, loader.tf, monitoring.tf. Every component runs as
# its own service account and gets roles on the very topic, subscription,
# bucket or dataset it uses; the few project-level roles are listed in
# local.project_roles below.

locals {
  zone              = coalesce(var.zone, "${var.region}-b")
  bucket_location   = upper(coalesce(var.bucket_location, var.region))
  dataset_location  = coalesce(var.dataset_location, var.region)
  alert_bucket_name = coalesce(var.alert_bucket_name, "${var.project_id}-ztf-alerts")

  # Object prefix under which the connector keeps its per-night records of
  # what it published; `ztfbridge count` reads them.
  connector_counts_prefix = "_ztfbridge/connector/"

  # Google-managed service agents. Their e-mail needs the project number,
  # which data.google_project reads once the APIs are on.
  project_number       = data.google_project.this.number
  pubsub_service_agent = "serviceAccount:service-${local.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # The only project-wide grants: the VM's Ops Agent and Cloud Build write
  # logs and metrics, which have no narrower scope, and BigQuery jobs (the
  # loader's queries) run in a project. Cloud Run and Cloud Functions collect
  # stdout themselves, so their identities need no logging role. Everything
  # else is granted on the resource itself.
  project_roles = [
    { component = "connector", role = "roles/logging.logWriter", member = google_service_account.connector.member },
    { component = "connector", role = "roles/monitoring.metricWriter", member = google_service_account.connector.member },
    { component = "loader", role = "roles/bigquery.jobUser", member = google_service_account.loader.member },
    { component = "function-build", role = "roles/logging.logWriter", member = google_service_account.function_build.member },
  ]
}

# The APIs the pipeline uses. Left on at destroy: other things in the project
# may need them.
resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])

  service            = each.value
  disable_on_destroy = false
}

# Read after the APIs are enabled: on a fresh project (and in the offline
# plan of scripts/terraform-check.sh) that is at apply time, so planning needs
# no API call.
data "google_project" "this" {
  project_id = var.project_id
  depends_on = [google_project_service.apis]
}

resource "google_project_iam_member" "component" {
  for_each = { for g in local.project_roles : "${g.component} ${g.role}" => g }

  project = var.project_id
  role    = each.value.role
  member  = each.value.member
}
