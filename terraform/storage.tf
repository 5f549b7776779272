# Buckets: the alert bucket (one Avro object per alert, written once by the
# function) and the artifacts bucket (the ztfbridge binary for the VM and the
# function's source archive, both uploaded by terraform).

resource "google_storage_bucket" "alerts" {
  name                        = local.alert_bucket_name
  location                    = local.bucket_location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  dynamic "lifecycle_rule" {
    for_each = var.alert_bucket_lifecycle_rules
    content {
      action {
        type          = lifecycle_rule.value.action
        storage_class = lifecycle_rule.value.storage_class
      }
      condition {
        age            = lifecycle_rule.value.age_days
        matches_prefix = lifecycle_rule.value.matches_prefix
      }
    }
  }

  depends_on = [google_project_service.apis]
}

locals {
  # Alert objects are named <alert_object_prefix>ztf_YYYYMMDD_programid1_<candid>.avro;
  # their names start with the prefix template's text before its first
  # placeholder (or with ztf_ when there is no prefix).
  alert_name_start = var.alert_object_prefix == "" ? "ztf_" : regex("^[^{]*", var.alert_object_prefix)
}

# One notification per new alert object. The name filter leaves out the
# quarantine and the connector's count records (unless a prefix template
# starts with a placeholder).
resource "google_storage_notification" "alerts" {
  bucket             = google_storage_bucket.alerts.name
  topic              = google_pubsub_topic.objects.id
  payload_format     = "JSON_API_V1"
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = local.alert_name_start == "" ? null : local.alert_name_start

  depends_on = [google_pubsub_topic_iam_member.gcs_agent_objects]
}

# The Cloud Storage service agent publishes the notifications. The data
# source also creates that agent if the project has none yet; it is read once
# the Storage API is on (at apply time on a fresh project, so planning needs
# no API call).
data "google_storage_project_service_account" "gcs" {
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic_iam_member" "gcs_agent_objects" {
  topic  = google_pubsub_topic.objects.name
  role   = "roles/pubsub.publisher"
  member = data.google_storage_project_service_account.gcs.member
}

resource "google_storage_bucket" "artifacts" {
  name                        = "${var.project_id}-ztfbridge-artifacts"
  location                    = local.bucket_location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Only build outputs live here; terraform can always upload them again.
  force_destroy = true

  depends_on = [google_project_service.apis]
}
