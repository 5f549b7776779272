# Pub/Sub: the alerts topic the connector publishes to, the dead-letter topic
# (with a subscription that keeps what lands there), the function's push
# subscription and the loader's pull subscription, and the topic of the
# alert bucket's object notifications.

resource "google_pubsub_topic" "alerts" {
  name       = var.alerts_topic
  depends_on = [google_project_service.apis]
}

# One place for everything that could not be processed, each message with an
# "error" attribute saying why: undecodable Kafka messages (connector), rows
# the loader rejects, and messages Pub/Sub gave up delivering to the function
# or the loader after max_delivery_attempts (those carry the
# CloudPubSubDeadLetterSourceSubscription attribute instead). `ztfbridge
# redrive` puts them back on the alerts topic once the cause is fixed.
resource "google_pubsub_topic" "deadletter" {
  name       = "${var.alerts_topic}-deadletter"
  depends_on = [google_project_service.apis]
}

# A topic without subscriptions drops what is published to it; this one keeps
# dead letters for inspection (`gcloud pubsub subscriptions pull
# ztf-alerts-deadletter-hold`) and replay (`ztfbridge redrive`), 7 days.
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

# The function's push subscription. Pub/Sub POSTs each alert to the
# function's URL, with an OIDC token of the function's identity, on a path
# ending in the topic's name; the function reads the push request itself
# (an HTTP function, functions.Archiver.ServeHTTP; docs/function.md).
# A failed store answers 500 and Pub/Sub retries with backoff; after
# max_delivery_attempts the alert moves to the dead-letter topic. While the
# function is down, alerts wait here up to subscription_retention (7 days),
# and the dead-letter hold keeps what was given up for as long again.
resource "google_pubsub_subscription" "function" {
  name                       = "${var.alerts_topic}-function"
  topic                      = google_pubsub_topic.alerts.id
  ack_deadline_seconds       = local.function_timeout_seconds + 30
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

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.store_alert.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.alerts.name}"
    oidc_token {
      service_account_email = google_service_account.function.email
      audience              = google_cloudfunctions2_function.store_alert.service_config[0].uri
    }
  }

  # Pushes before these grants exist would fail and count as attempts.
  depends_on = [
    google_cloud_run_v2_service_iam_member.function_invoker,
    google_service_account_iam_member.pubsub_agent_function_token,
  ]
}

# Dead-lettering is done by the Pub/Sub service agent: it must be allowed to
# publish to the dead-letter topic and to acknowledge on each source
# subscription.
resource "google_pubsub_topic_iam_member" "pubsub_agent_deadletter" {
  topic  = google_pubsub_topic.deadletter.name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_source" {
  for_each = {
    function = google_pubsub_subscription.function.name
    loader   = google_pubsub_subscription.loader.name
  }

  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

moved {
  from = google_pubsub_subscription_iam_member.pubsub_agent_loader
  to   = google_pubsub_subscription_iam_member.pubsub_agent_source["loader"]
}
