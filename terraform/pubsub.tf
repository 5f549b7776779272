# Pub/Sub: the alerts topic the connector publishes to, the dead-letter topic
# (with a subscription that keeps what lands there), the loader's
# subscription, and the topic of the alert bucket's object notifications. The
# function's subscription is made by its Eventarc trigger (function.tf).

resource "google_pubsub_topic" "alerts" {
  name       = var.alerts_topic
  depends_on = [google_project_service.apis]
}

# One place for everything that could not be processed, each message with an
# "error" attribute saying why: undecodable Kafka messages (connector), rows
# the loader rejects, and messages Pub/Sub gave up delivering to the loader
# after max_delivery_attempts (those carry CloudPubSubDeadLetter* attributes).
resource "google_pubsub_topic" "deadletter" {
  name       = "${var.alerts_topic}-deadletter"
  depends_on = [google_project_service.apis]
}

# A topic without subscriptions drops what is published to it; this one keeps
# dead letters for inspection and replay
# (`gcloud pubsub subscriptions pull ztf-alerts-deadletter-hold`).
resource "google_pubsub_subscription" "deadletter_hold" {
  name                       = "${google_pubsub_topic.deadletter.name}-hold"
  topic                      = google_pubsub_topic.deadletter.id
  message_retention_duration = var.subscription_retention
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# OBJECT_FINALIZE notifications of the alert bucket (storage.tf), one per
# stored alert, for whoever wants to react to new objects.
resource "google_pubsub_topic" "objects" {
  name       = "ztf-alert-objects"
  depends_on = [google_project_service.apis]
}

# The loader's pull subscription. Unacknowledged alerts wait here (up to
# subscription_retention) while the loader is down or behind; an alert it
# fails max_delivery_attempts times moves to the dead-letter topic.
resource "google_pubsub_subscription" "loader" {
  name                       = "${var.alerts_topic}-bigquery"
  topic                      = google_pubsub_topic.alerts.id
  ack_deadline_seconds       = var.loader_ack_deadline_seconds
  message_retention_duration = var.subscription_retention

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.deadletter.id
    max_delivery_attempts = var.max_delivery_attempts
  }
}

# Dead-lettering is done by the Pub/Sub service agent: it must be allowed to
# publish to the dead-letter topic and to acknowledge on the source
# subscription.
resource "google_pubsub_topic_iam_member" "pubsub_agent_deadletter" {
  topic  = google_pubsub_topic.deadletter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_loader" {
  subscription = google_pubsub_subscription.loader.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
