# The connector: one VM with a static public address running
# `ztfbridge connect` under systemd. It reads the nightly ZTF Kafka topics and
# publishes every alert to the alerts topic; messages it cannot handle go to
# the dead-letter topic; its per-night counts go to the alert bucket under
# local.connector_counts_prefix.

resource "google_service_account" "connector" {
  account_id   = "ztf-connector"
  display_name = "ztfbridge connector (Kafka -> Pub/Sub)"
  depends_on   = [google_project_service.apis]
}

locals {
  sasl = var.kafka_sasl_mechanism != null

  # Where the unit's ExecStartPre puts the SASL password read from Secret
  # Manager: /run is a tmpfs (never on disk), the directory is the unit's
  # RuntimeDirectory (0700, user ztfbridge) and the file is 0400.
  sasl_password_file = "/run/ztfbridge/sasl-password"

  # ZTFBRIDGE_<FLAG> settings of `ztfbridge connect`; null knobs keep the
  # binary's defaults. None of them is secret: they go to the metadata.
  connector_env = merge(
    {
      ZTFBRIDGE_BROKERS          = join(",", var.ztf_kafka_brokers)
      ZTFBRIDGE_GROUP            = var.kafka_group
      ZTFBRIDGE_PUBSUB_PROJECT   = var.project_id
      ZTFBRIDGE_PUBSUB_TOPIC     = google_pubsub_topic.alerts.name
      ZTFBRIDGE_DEADLETTER_TOPIC = google_pubsub_topic.deadletter.name
      ZTFBRIDGE_COUNTS_BUCKET    = google_storage_bucket.alerts.name
      ZTFBRIDGE_METRICS_ADDR     = "127.0.0.1:${var.connector_metrics_port}"
    },
    var.connector_consumers == null ? {} : { ZTFBRIDGE_CONSUMERS = tostring(var.connector_consumers) },
    var.connector_batch_size == null ? {} : { ZTFBRIDGE_BATCH_SIZE = tostring(var.connector_batch_size) },
    local.sasl ? {
      ZTFBRIDGE_SASL_MECHANISM     = var.kafka_sasl_mechanism
      ZTFBRIDGE_SASL_USER          = var.kafka_sasl_user
      ZTFBRIDGE_SASL_PASSWORD_FILE = local.sasl_password_file
    } : {},
    var.connector_env,
  )
}

# The binary, named by its MD5: a new build is a new object, hence a new
# startup script, hence a new VM (same address, same consumer group offsets).
resource "google_storage_bucket_object" "ztfbridge" {
  bucket       = google_storage_bucket.artifacts.name
  name         = "ztfbridge/${filemd5(var.ztfbridge_binary)}/ztfbridge"
  source       = var.ztfbridge_binary
  content_type = "application/octet-stream"
}

resource "google_compute_instance" "connector" {
  name         = "ztf-connector"
  zone         = local.zone
  machine_type = var.connector_machine_type
  tags         = ["ztf-connector"]
  description  = "ztfbridge connect: ZTF Kafka -> Pub/Sub ${google_pubsub_topic.alerts.name}"

  boot_disk {
    initialize_params {
      image = var.connector_image
      size  = 20
      type  = "pd-balanced"
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.ztfbridge.id
    access_config {
      nat_ip       = google_compute_address.connector.address
      network_tier = "PREMIUM"
    }
  }

  service_account {
    email  = google_service_account.connector.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  scheduling {
    automatic_restart   = true
    on_host_maintenance = "MIGRATE"
  }

  metadata = {
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = "TRUE"
  }

  # A changed script (new binary, new settings) replaces the VM, so what runs
  # is always exactly what was applied.
  metadata_startup_script = templatefile("${path.module}/templates/connector-startup.sh.tftpl", {
    env_file           = join("\n", [for k in sort(keys(local.connector_env)) : "${k}=\"${local.connector_env[k]}\""])
    binary_url         = "gs://${google_storage_bucket_object.ztfbridge.bucket}/${google_storage_bucket_object.ztfbridge.name}"
    metrics_port       = var.connector_metrics_port
    project_id         = var.project_id
    sasl_secret        = local.sasl ? google_secret_manager_secret.kafka_sasl_password[0].secret_id : ""
    sasl_password_file = local.sasl_password_file
  })

  allow_stopping_for_update = true

  # The service account's grants must exist before the connector starts.
  depends_on = [
    google_pubsub_topic_iam_member.connector_publish,
    google_storage_bucket_iam_member.connector_counts,
    google_storage_bucket_iam_member.connector_counts_bucket,
    google_storage_bucket_iam_member.connector_binary,
    google_secret_manager_secret_iam_member.connector_sasl,
  ]
}

# The Kafka SASL password, when the brokers want one. Terraform makes the
# secret and lets the connector read it; the password itself is added by
# hand (`gcloud secrets versions add`, docs/deploy.md), so it is in neither
# the terraform variables, the state, nor the VM's metadata. Until a version
# exists the unit's ExecStartPre fails and systemd retries every 5 s: the
# connector starts by itself once the password is there.
resource "google_secret_manager_secret" "kafka_sasl_password" {
  count = local.sasl ? 1 : 0

  secret_id = var.kafka_sasl_secret_id
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

# Read the password, and only that secret: at boot, as the VM's identity.
resource "google_secret_manager_secret_iam_member" "connector_sasl" {
  count = local.sasl ? 1 : 0

  secret_id = google_secret_manager_secret.kafka_sasl_password[0].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.connector.member
}

# Publish to the alerts and dead-letter topics, and read their settings
# (the connector checks both exist before it reads Kafka); nothing else in
# Pub/Sub.
resource "google_pubsub_topic_iam_member" "connector_publish" {
  for_each = {
    for pair in setproduct(["alerts", "deadletter"], ["roles/pubsub.publisher", "roles/pubsub.viewer"]) :
    "${pair[0]} ${pair[1]}" => { topic = pair[0], role = pair[1] }
  }

  topic  = each.value.topic == "alerts" ? google_pubsub_topic.alerts.name : google_pubsub_topic.deadletter.name
  role   = each.value.role
  member = google_service_account.connector.member
}

# Read, write and replace its own count records, and only those: the
# condition limits the grant to objects under local.connector_counts_prefix
# (alerts written by the function stay out of reach).
resource "google_storage_bucket_iam_member" "connector_counts" {
  bucket = google_storage_bucket.alerts.name
  role   = "roles/storage.objectUser"
  member = google_service_account.connector.member

  condition {
    title       = "connector-counts-only"
    description = "Only the connector's per-night count records."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.alerts.name}/objects/${local.connector_counts_prefix}\")"
  }
}

# The connector checks the counts bucket exists before it starts; reading
# the bucket's metadata needs storage.buckets.get, which no predefined
# object role has, hence a custom role holding only that permission.
resource "google_project_iam_custom_role" "bucket_metadata_reader" {
  role_id     = "ztfbridgeBucketMetadataReader"
  title       = "ztfbridge bucket metadata reader"
  description = "Read a bucket's metadata (storage.buckets.get) and nothing else; granted per bucket."
  permissions = ["storage.buckets.get"]
  depends_on  = [google_project_service.apis]
}

resource "google_storage_bucket_iam_member" "connector_counts_bucket" {
  bucket = google_storage_bucket.alerts.name
  role   = google_project_iam_custom_role.bucket_metadata_reader.id
  member = google_service_account.connector.member
}

# Download the binary at boot.
resource "google_storage_bucket_iam_member" "connector_binary" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.connector.member

  condition {
    title       = "ztfbridge-binaries-only"
    description = "Only the ztfbridge binaries uploaded by terraform."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/ztfbridge/\")"
  }
}
