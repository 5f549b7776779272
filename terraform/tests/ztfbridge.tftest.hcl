# Offline tests of the deployment (`terraform test`, run by
# scripts/terraform-check.sh). The google provider is mocked: nothing reaches
# Google Cloud, computed attributes get made-up values, and the assertions
# check what this module decides: names, wiring, least-privilege IAM,
# partitioning, the function's source and runtime, the VM's static address.

mock_provider "google" {
  # Made-up values must still pass the provider's checks on IAM members.
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
  mock_data "google_storage_project_service_account" {
    defaults = {
      email_address = "service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
      member        = "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    }
  }
}

override_resource {
  target = google_service_account.connector
  values = {
    id     = "projects/ztfbridge-test/serviceAccounts/ztf-connector@ztfbridge-test.iam.gserviceaccount.com"
    email  = "ztf-connector@ztfbridge-test.iam.gserviceaccount.com"
    member = "serviceAccount:ztf-connector@ztfbridge-test.iam.gserviceaccount.com"
  }
}

override_resource {
  target = google_service_account.function
  values = {
    id     = "projects/ztfbridge-test/serviceAccounts/ztf-function@ztfbridge-test.iam.gserviceaccount.com"
    email  = "ztf-function@ztfbridge-test.iam.gserviceaccount.com"
    member = "serviceAccount:ztf-function@ztfbridge-test.iam.gserviceaccount.com"
  }
}

override_resource {
  target = google_service_account.function_build
  values = {
    id     = "projects/ztfbridge-test/serviceAccounts/ztf-function-build@ztfbridge-test.iam.gserviceaccount.com"
    email  = "ztf-function-build@ztfbridge-test.iam.gserviceaccount.com"
    member = "serviceAccount:ztf-function-build@ztfbridge-test.iam.gserviceaccount.com"
  }
}

override_resource {
  target = google_service_account.loader
  values = {
    id     = "projects/ztfbridge-test/serviceAccounts/ztf-bqloader@ztfbridge-test.iam.gserviceaccount.com"
    email  = "ztf-bqloader@ztfbridge-test.iam.gserviceaccount.com"
    member = "serviceAccount:ztf-bqloader@ztfbridge-test.iam.gserviceaccount.com"
  }
}

variables {
  project_id          = "ztfbridge-test"
  region              = "us-central1"
  ztf_kafka_brokers   = ["kafka1.example.org:9092", "kafka2.example.org:9092"]
  loader_image        = "us-central1-docker.pkg.dev/ztfbridge-test/ztfbridge/ztfbridge@sha256:1111111111111111111111111111111111111111111111111111111111111111"
  ztfbridge_binary    = "tests/fixtures/ztfbridge"
  function_source_zip = "tests/fixtures/function-source.zip"
}

run "names_and_storage" {
  command = plan

  assert {
    condition     = google_pubsub_topic.alerts.name == "ztf-alerts" && google_pubsub_topic.deadletter.name == "ztf-alerts-deadletter" && google_pubsub_topic.objects.name == "ztf-alert-objects"
    error_message = "topics must be ztf-alerts, ztf-alerts-deadletter and ztf-alert-objects"
  }

  assert {
    condition     = google_storage_bucket.alerts.name == "ztfbridge-test-ztf-alerts" && google_storage_bucket.alerts.location == "US-CENTRAL1"
    error_message = "the alert bucket must default to <project>-ztf-alerts in the region"
  }

  assert {
    condition     = google_storage_bucket.alerts.uniform_bucket_level_access && google_storage_bucket.alerts.public_access_prevention == "enforced"
    error_message = "the alert bucket must use uniform access and enforce public access prevention"
  }

  assert {
    condition     = google_storage_bucket.artifacts.uniform_bucket_level_access && google_storage_bucket.artifacts.public_access_prevention == "enforced"
    error_message = "the artifacts bucket must use uniform access and enforce public access prevention"
  }

  assert {
    condition     = !google_storage_bucket.alerts.force_destroy
    error_message = "with deletion_protection (the default) terraform destroy must not empty the alert bucket"
  }

  assert {
    condition     = length(google_storage_bucket.alerts.lifecycle_rule) == 0
    error_message = "the alert bucket has no lifecycle rule unless asked for"
  }

  assert {
    condition     = google_storage_notification.alerts.event_types == toset(["OBJECT_FINALIZE"]) && google_storage_notification.alerts.payload_format == "JSON_API_V1"
    error_message = "the bucket must notify OBJECT_FINALIZE only, with the object's JSON"
  }

  assert {
    condition     = google_storage_notification.alerts.object_name_prefix == "ztf_"
    error_message = "notifications must cover alert objects only (not quarantine/ or the connector's counts)"
  }

  assert {
    condition     = google_pubsub_subscription.loader.name == "ztf-alerts-bigquery" && google_pubsub_subscription.loader.message_retention_duration == "604800s"
    error_message = "the loader subscription must be ztf-alerts-bigquery (the loader's default) and keep messages 7 days"
  }

  assert {
    condition     = google_pubsub_subscription.loader.dead_letter_policy[0].max_delivery_attempts == 10 && google_pubsub_subscription.loader.expiration_policy[0].ttl == ""
    error_message = "the loader subscription must dead-letter after 10 attempts and never expire"
  }

  assert {
    condition     = google_pubsub_subscription.deadletter_hold.expiration_policy[0].ttl == "" && google_pubsub_subscription.deadletter_hold.message_retention_duration == "604800s"
    error_message = "the dead-letter topic needs a subscription that keeps what lands there"
  }
}

run "bigquery" {
  command = plan

  assert {
    condition     = google_bigquery_dataset.ztf.dataset_id == "ztf" && google_bigquery_table.alerts_raw.table_id == "alerts_raw"
    error_message = "the loader's table must be ztf.alerts_raw"
  }

  assert {
    condition     = google_bigquery_table.alerts_raw.time_partitioning[0].type == "DAY" && google_bigquery_table.alerts_raw.time_partitioning[0].field == "night"
    error_message = "alerts_raw must be partitioned by day on night"
  }

  assert {
    condition     = google_bigquery_table.alerts_raw.clustering == tolist(["objectId", "candid"])
    error_message = "alerts_raw must be clustered by objectId, candid"
  }

  assert {
    condition     = jsondecode(google_bigquery_table.alerts_raw.schema) == jsondecode(file("schema/alerts.json"))
    error_message = "the schema of alerts_raw must be schema/alerts.json, generated from the code"
  }

  assert {
    condition     = contains([for f in jsondecode(google_bigquery_table.alerts_raw.schema) : f.name if f.type == "DATE"], "night")
    error_message = "the generated schema must have the DATE column night that the table is partitioned by"
  }

  assert {
    condition     = google_bigquery_table.alerts_raw.deletion_protection && !google_bigquery_dataset.ztf.delete_contents_on_destroy
    error_message = "the table and dataset must be protected from terraform destroy by default"
  }

  assert {
    condition = toset(concat(keys(module.views.views), keys(module.views_of_views.views))) == toset([for f in fileset("../bqloader/sql", "*.sql") : trimsuffix(f, ".sql")]) && alltrue([
      for name, v in merge(module.views.views, module.views_of_views.views) : v.table_id == name
    ])
    error_message = "every bqloader/sql/*.sql must become the view it creates, named like its file"
  }

  assert {
    condition     = contains(keys(module.views.views), "alerts") && strcontains(module.views.views["alerts"].query, "FROM `ztfbridge-test.ztf.alerts_raw`")
    error_message = "the alerts view must read alerts_raw of this project and dataset"
  }

  assert {
    condition     = alltrue([for v in merge(module.views.views, module.views_of_views.views) : startswith(v.query, "SELECT") || startswith(v.query, "WITH")])
    error_message = "a view's query must be the statement's query, without CREATE ... AS"
  }

  assert {
    condition = alltrue([for v in merge(module.views.views, module.views_of_views.views) :
    !strcontains(v.query, "$${") && !v.use_legacy_sql && v.description != null])
    error_message = "views must be standard SQL with their placeholders filled in and the description of their OPTIONS"
  }

  assert {
    condition = alltrue(concat(
      [for n, v in module.views.views : alltrue([for name in concat(keys(module.views.views), keys(module.views_of_views.views)) : name == n || !strcontains(v.query, ".${name}`")])],
      [for v in module.views_of_views.views : alltrue([for name in keys(module.views_of_views.views) : !strcontains(v.query, ".${name}`")])],
    ))
    error_message = "views are made in two rounds: a view may read views of the first round only"
  }
}

run "function" {
  command = apply

  assert {
    condition     = google_cloudfunctions2_function.store_alert.build_config[0].runtime == "go126" && google_cloudfunctions2_function.store_alert.build_config[0].entry_point == "StoreAlert"
    error_message = "the function must build with runtime go126 and entry point StoreAlert by default (functions.Runtime, functions.EntryPoint)"
  }

  assert {
    condition     = google_cloudfunctions2_function.store_alert.build_config[0].source[0].storage_source[0].object == "functions/store-alert-${filemd5("tests/fixtures/function-source.zip")}.zip"
    error_message = "the function source must be the uploaded archive, named by its MD5 so that a new archive redeploys"
  }

  assert {
    condition     = google_cloudfunctions2_function.store_alert.build_config[0].source[0].storage_source[0].bucket == google_storage_bucket.artifacts.name && google_storage_bucket_object.function_source.source == "tests/fixtures/function-source.zip"
    error_message = "the function source must come from the artifacts bucket, uploaded from function_source_zip"
  }

  assert {
    condition     = google_pubsub_subscription.function.topic == google_pubsub_topic.alerts.id && google_pubsub_subscription.function.push_config[0].push_endpoint == "${google_cloudfunctions2_function.store_alert.service_config[0].uri}/projects/ztfbridge-test/topics/ztf-alerts"
    error_message = "the function must be fed by a push subscription of the alerts topic, on the path the functions framework turns into a messagePublished event"
  }

  assert {
    condition     = length(google_cloudfunctions2_function.store_alert.event_trigger) == 0
    error_message = "no Eventarc trigger: its subscription keeps messages 24 hours and has no dead-letter topic"
  }

  assert {
    condition     = google_pubsub_subscription.function.retry_policy[0].minimum_backoff == "10s" && google_pubsub_subscription.function.retry_policy[0].maximum_backoff == "600s"
    error_message = "a failed write must be retried, with backoff"
  }

  assert {
    condition     = google_pubsub_subscription.function.message_retention_duration == "604800s" && google_pubsub_subscription.function.expiration_policy[0].ttl == ""
    error_message = "the function's subscription must keep alerts 7 days and never expire"
  }

  assert {
    condition     = google_pubsub_subscription.function.dead_letter_policy[0].dead_letter_topic == google_pubsub_topic.deadletter.id && google_pubsub_subscription.function.dead_letter_policy[0].max_delivery_attempts == 10
    error_message = "the function's subscription must dead-letter to the dead-letter topic (kept by its hold subscription) after 10 attempts"
  }

  assert {
    condition     = google_pubsub_subscription.function.push_config[0].oidc_token[0].service_account_email == google_service_account.function.email && google_pubsub_subscription.function.push_config[0].oidc_token[0].audience == google_cloudfunctions2_function.store_alert.service_config[0].uri
    error_message = "pushes must authenticate with an OIDC token of the function's identity, for the function's URL"
  }

  assert {
    condition     = google_pubsub_subscription.function.ack_deadline_seconds > google_cloudfunctions2_function.store_alert.service_config[0].timeout_seconds
    error_message = "the push ack deadline must outlast one invocation, or Pub/Sub redelivers alerts still being stored"
  }

  assert {
    condition = toset([for m in google_pubsub_subscription_iam_member.pubsub_agent_source : [m.subscription, m.role, m.member]]) == toset([
      for s in [google_pubsub_subscription.function.name, google_pubsub_subscription.loader.name] : [s, "roles/pubsub.subscriber", "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"]
    ]) && google_pubsub_topic_iam_member.pubsub_agent_deadletter.topic == google_pubsub_topic.deadletter.name
    error_message = "the Pub/Sub service agent must be allowed to acknowledge on both dead-lettering subscriptions and to publish to the dead-letter topic"
  }

  assert {
    condition     = google_cloudfunctions2_function.store_alert.service_config[0].environment_variables["ZTFBRIDGE_BUCKET"] == google_storage_bucket.alerts.name
    error_message = "the function must be told the alert bucket through ZTFBRIDGE_BUCKET"
  }

  assert {
    condition     = google_cloudfunctions2_function.store_alert.service_config[0].ingress_settings == "ALLOW_INTERNAL_ONLY"
    error_message = "only Eventarc may call the function"
  }
}

run "connector_vm" {
  command = apply

  assert {
    condition     = google_compute_address.connector.address_type == "EXTERNAL" && google_compute_instance.connector.network_interface[0].access_config[0].nat_ip == google_compute_address.connector.address
    error_message = "the connector must use the static external address ZTF allow-lists"
  }

  assert {
    condition     = output.connector_ip == google_compute_address.connector.address
    error_message = "the connector's address must be an output"
  }

  assert {
    condition     = google_compute_instance.connector.service_account[0].email == google_service_account.connector.email
    error_message = "the connector VM must run as its own service account"
  }

  assert {
    condition = alltrue([for line in [
      "ZTFBRIDGE_BROKERS=\"kafka1.example.org:9092,kafka2.example.org:9092\"",
      "ZTFBRIDGE_GROUP=\"ztfbridge\"",
      "ZTFBRIDGE_PUBSUB_PROJECT=\"ztfbridge-test\"",
      "ZTFBRIDGE_PUBSUB_TOPIC=\"ztf-alerts\"",
      "ZTFBRIDGE_DEADLETTER_TOPIC=\"ztf-alerts-deadletter\"",
      "ZTFBRIDGE_COUNTS_BUCKET=\"ztfbridge-test-ztf-alerts\"",
      "ZTFBRIDGE_METRICS_ADDR=\"127.0.0.1:9464\"",
    ] : strcontains(google_compute_instance.connector.metadata_startup_script, line)])
    error_message = "the startup script must configure ztfbridge connect through ZTFBRIDGE_* variables"
  }

  assert {
    condition     = !strcontains(google_compute_instance.connector.metadata_startup_script, "ZTFBRIDGE_CONSUMERS") && !strcontains(google_compute_instance.connector.metadata_startup_script, "ZTFBRIDGE_BATCH_SIZE")
    error_message = "unset knobs must keep the binary's defaults"
  }

  assert {
    condition = alltrue([for line in [
      "ExecStart=/usr/local/bin/ztfbridge connect",
      "Restart=always",
      "gs://${google_storage_bucket.artifacts.name}/ztfbridge/${filemd5("tests/fixtures/ztfbridge")}/ztfbridge",
      "targets: [\"127.0.0.1:9464\"]",
    ] : strcontains(google_compute_instance.connector.metadata_startup_script, line)])
    error_message = "the startup script must install the uploaded binary, run it under systemd with restarts, and have the Ops Agent scrape its metrics"
  }
}

run "connector_knobs" {
  command = plan

  variables {
    connector_consumers  = 4
    connector_batch_size = 500
    connector_env        = { ZTFBRIDGE_DEDUP_REPLAY = "true" }
    zone                 = "us-central1-c"
  }

  assert {
    condition = alltrue([for line in ["ZTFBRIDGE_CONSUMERS=\"4\"", "ZTFBRIDGE_BATCH_SIZE=\"500\"", "ZTFBRIDGE_DEDUP_REPLAY=\"true\""] :
    strcontains(google_compute_instance.connector.metadata_startup_script, line)])
    error_message = "connector knobs must reach the connector's environment"
  }

  assert {
    condition     = google_compute_instance.connector.zone == "us-central1-c"
    error_message = "the zone variable must place the VM"
  }
}

run "loader" {
  command = apply

  assert {
    condition     = google_cloud_run_v2_worker_pool.loader.scaling[0].manual_instance_count == 2 && google_cloud_run_v2_worker_pool.loader.scaling[0].scaling_mode == "MANUAL"
    error_message = "the loader must run 2 instances by default"
  }

  assert {
    condition     = google_cloud_run_v2_worker_pool.loader.template[0].containers[0].image == var.loader_image && google_cloud_run_v2_worker_pool.loader.template[0].containers[0].args == tolist(["load"])
    error_message = "the loader must run `ztfbridge load` from loader_image"
  }

  assert {
    condition     = google_cloud_run_v2_worker_pool.loader.template[0].service_account == google_service_account.loader.email
    error_message = "the loader must run as its own service account"
  }

  assert {
    condition = { for e in google_cloud_run_v2_worker_pool.loader.template[0].containers[0].env : e.name => e.value if contains(["ZTFBRIDGE_PROJECT", "ZTFBRIDGE_SUBSCRIPTION", "ZTFBRIDGE_PUBSUB_TOPIC", "ZTFBRIDGE_DEADLETTER_TOPIC", "ZTFBRIDGE_DATASET"], e.name) } == {
      ZTFBRIDGE_PROJECT          = "ztfbridge-test"
      ZTFBRIDGE_SUBSCRIPTION     = "ztf-alerts-bigquery"
      ZTFBRIDGE_PUBSUB_TOPIC     = "ztf-alerts"
      ZTFBRIDGE_DEADLETTER_TOPIC = "ztf-alerts-deadletter"
      ZTFBRIDGE_DATASET          = "ztf"
    }
    error_message = "the loader must be told its project, subscription, topics and dataset"
  }
}

run "least_privilege_iam" {
  command = apply

  assert {
    condition     = length(toset([google_service_account.connector.email, google_service_account.function.email, google_service_account.function_build.email, google_service_account.loader.email])) == 4
    error_message = "every component needs a service account of its own"
  }

  assert {
    condition = alltrue([for m in google_project_iam_member.component :
    contains(["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/bigquery.jobUser"], m.role)])
    error_message = "project-wide roles are limited to writing logs and metrics and running BigQuery jobs"
  }

  assert {
    condition     = google_project_iam_member.function_build_staging.condition[0].expression == "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-123456789012-us-central1/objects/ztf-store-alert/\")"
    error_message = "the build's storage role must be limited to this function's sources in the region's Cloud Functions sources bucket"
  }

  assert {
    condition     = google_project_iam_member.function_build_staging.role == "roles/storage.objectViewer"
    error_message = "the build only reads its sources: no write to any gcf-v2-* bucket"
  }

  assert {
    condition = alltrue([for m in google_project_iam_member.component : m.role != "roles/storage.objectAdmin"]) && length([
      for r in [google_storage_bucket_iam_member.function_build_source.role, google_project_iam_member.function_build_staging.role] : r if r == "roles/storage.objectAdmin"
    ]) == 0
    error_message = "the build identity holds no storage.objectAdmin anywhere"
  }

  assert {
    condition = toset([for m in google_pubsub_topic_iam_member.connector_publish : [m.topic, m.role, m.member]]) == toset([
      for pair in setproduct([google_pubsub_topic.alerts.name, google_pubsub_topic.deadletter.name], ["roles/pubsub.publisher", "roles/pubsub.viewer"]) :
      [pair[0], pair[1], google_service_account.connector.member]
    ])
    error_message = "the connector may only publish to (and see) the alerts and dead-letter topics"
  }

  assert {
    condition = toset([for m in google_pubsub_topic_iam_member.loader_deadletter : [m.topic, m.role, m.member]]) == toset([
      [google_pubsub_topic.deadletter.name, "roles/pubsub.publisher", google_service_account.loader.member],
      [google_pubsub_topic.deadletter.name, "roles/pubsub.viewer", google_service_account.loader.member],
    ])
    error_message = "the loader may publish to and see (GetTopic at start) the dead-letter topic, nothing else"
  }

  assert {
    condition     = google_storage_bucket_iam_member.connector_counts.bucket == google_storage_bucket.alerts.name && google_storage_bucket_iam_member.connector_counts.condition[0].expression == "resource.name.startsWith(\"projects/_/buckets/ztfbridge-test-ztf-alerts/objects/_ztfbridge/connector/\")"
    error_message = "the connector's access to the alert bucket must be limited to _ztfbridge/connector/"
  }

  assert {
    condition     = google_storage_bucket_iam_member.connector_counts_bucket.role == google_project_iam_custom_role.bucket_metadata_reader.id && google_project_iam_custom_role.bucket_metadata_reader.permissions == toset(["storage.buckets.get"])
    error_message = "the connector may read the alert bucket's metadata, through a role holding storage.buckets.get only"
  }

  assert {
    condition     = strcontains(google_storage_bucket_iam_member.connector_binary.condition[0].expression, "/objects/ztfbridge/") && google_storage_bucket_iam_member.connector_binary.role == "roles/storage.objectViewer"
    error_message = "the connector may only read the ztfbridge binaries"
  }

  assert {
    condition     = google_storage_bucket_iam_member.function_write.role == "roles/storage.objectCreator" && google_storage_bucket_iam_member.function_write.bucket == google_storage_bucket.alerts.name && google_storage_bucket_iam_member.function_write.member == google_service_account.function.member
    error_message = "the function may only create objects in the alert bucket, never replace or delete them"
  }

  assert {
    condition     = google_cloud_run_v2_service_iam_member.function_invoker.name == google_cloudfunctions2_function.store_alert.name && google_cloud_run_v2_service_iam_member.function_invoker.role == "roles/run.invoker"
    error_message = "the trigger identity may invoke the function's service only"
  }

  assert {
    condition = toset([for m in google_pubsub_subscription_iam_member.loader_pull : [m.subscription, m.role, m.member]]) == toset([
      [google_pubsub_subscription.loader.name, "roles/pubsub.subscriber", google_service_account.loader.member],
      [google_pubsub_subscription.loader.name, "roles/pubsub.viewer", google_service_account.loader.member],
    ])
    error_message = "the loader may only pull from (and see) its own subscription"
  }

  assert {
    condition     = google_bigquery_dataset_iam_member.loader_write.dataset_id == google_bigquery_dataset.ztf.dataset_id && google_bigquery_dataset_iam_member.loader_write.role == "roles/bigquery.dataEditor"
    error_message = "the loader may write to the ztf dataset only"
  }

  assert {
    condition     = google_pubsub_topic_iam_member.gcs_agent_objects.member == data.google_storage_project_service_account.gcs.member && google_pubsub_topic_iam_member.gcs_agent_objects.topic == google_pubsub_topic.objects.name
    error_message = "the Cloud Storage service agent must be allowed to publish the notifications"
  }

  assert {
    condition     = google_pubsub_topic_iam_member.pubsub_agent_deadletter.member == "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
    error_message = "the Pub/Sub service agent must be allowed to dead-letter"
  }

  assert {
    condition = length([for r in concat(
      [for m in google_project_iam_member.component : m.role],
      [for m in google_pubsub_topic_iam_member.connector_publish : m.role],
      [for m in google_pubsub_topic_iam_member.loader_deadletter : m.role],
      [
        google_project_iam_member.function_build_staging.role,
        google_storage_bucket_iam_member.connector_counts.role,
        google_storage_bucket_iam_member.connector_binary.role,
        google_storage_bucket_iam_member.connector_counts_bucket.role,
        google_storage_bucket_iam_member.function_write.role,
        google_storage_bucket_iam_member.function_build_source.role,
        google_artifact_registry_repository_iam_member.function_build.role,
        google_pubsub_subscription_iam_member.loader_pull["roles/pubsub.subscriber"].role,
        google_pubsub_subscription_iam_member.loader_pull["roles/pubsub.viewer"].role,
        google_bigquery_dataset_iam_member.loader_write.role,
      ],
    ) : r if contains(["roles/owner", "roles/editor", "roles/storage.admin", "roles/pubsub.admin", "roles/bigquery.admin"], r)]) == 0
    error_message = "no component may hold a basic or admin role"
  }
}

run "monitoring" {
  command = apply

  assert {
    condition     = strcontains(google_monitoring_alert_policy.consumer_lag.conditions[0].condition_prometheus_query_language[0].query, "ztfbridge_connector_lag) > 50000")
    error_message = "the lag alert must fire on the connector's summed consumer lag"
  }

  assert {
    condition     = google_monitoring_alert_policy.consumer_lag.conditions[0].condition_prometheus_query_language[0].duration == "900s"
    error_message = "the lag alert must wait lag_alert_minutes"
  }

  assert {
    condition     = length(jsondecode(google_monitoring_dashboard.ztfbridge.dashboard_json).mosaicLayout.tiles) == 10
    error_message = "the dashboard must hold its 10 charts"
  }

  assert {
    condition     = google_monitoring_alert_policy.function_backlog.conditions[0].condition_threshold[0].filter == "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"ztf-alerts-function\"" && google_monitoring_alert_policy.function_backlog.conditions[0].condition_threshold[0].threshold_value == 1800
    error_message = "an alert must fire when the oldest unacknowledged alert of the function's subscription is older than 30 minutes"
  }

  assert {
    condition     = google_monitoring_alert_policy.loader_backlog.conditions[0].condition_threshold[0].filter == "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\" resource.label.subscription_id=\"ztf-alerts-bigquery\"" && google_monitoring_alert_policy.loader_backlog.conditions[0].condition_threshold[0].threshold_value == 3600
    error_message = "an alert must fire when the oldest unacknowledged alert of the loader's subscription is older than 60 minutes"
  }

  assert {
    condition = alltrue([for part in ["ztfbridge_connector_lag) > 0", "changes(ztfbridge_connector_lag[15m])) == 0", "by (topic, partition)"] :
    strcontains(google_monitoring_alert_policy.lag_stalled.conditions[0].condition_prometheus_query_language[0].query, part)])
    error_message = "an alert must fire for a partition whose lag is above zero and has not moved for 15 minutes"
  }

  assert {
    condition     = strcontains(google_monitoring_alert_policy.dead_letters_arriving.conditions[0].condition_threshold[0].filter, "topic/send_message_operation_count") && strcontains(google_monitoring_alert_policy.dead_letters_arriving.conditions[0].condition_threshold[0].filter, "topic_id=\"ztf-alerts-deadletter\"") && google_monitoring_alert_policy.dead_letters.conditions[0].condition_threshold[0].threshold_value == 0
    error_message = "alerts must fire when dead letters arrive and while they wait"
  }

  assert {
    condition     = strcontains(google_monitoring_alert_policy.connector_down.conditions[0].condition_prometheus_query_language[0].query, "absent_over_time(")
    error_message = "an alert must fire when the connector is down"
  }

  assert {
    condition = alltrue([for sub in ["ztf-alerts-function", "ztf-alerts-bigquery", "ztf-alerts-deadletter-hold"] :
    anytrue([for t in jsondecode(google_monitoring_dashboard.ztfbridge.dashboard_json).mosaicLayout.tiles : strcontains(jsonencode(t), "subscription_id=\\\"${sub}\\\"")])])
    error_message = "the dashboard must show the backlog of each stage's subscription"
  }

  assert {
    condition = alltrue([for word in ["consumed", "lag", "Function", "GCS", "rows written to BigQuery"] :
    anytrue([for t in jsondecode(google_monitoring_dashboard.ztfbridge.dashboard_json).mosaicLayout.tiles : strcontains(t.widget.title, word)])])
    error_message = "the dashboard must chart consumption, lag, the function, GCS objects and loader rows"
  }
}

run "sasl_secret" {
  command = apply

  variables {
    kafka_sasl_mechanism = "SCRAM-SHA-512"
    kafka_sasl_user      = "ztfbridge"
  }

  assert {
    condition     = google_secret_manager_secret.kafka_sasl_password[0].secret_id == "ztf-kafka-sasl-password"
    error_message = "SASL needs the Secret Manager secret of the password"
  }

  assert {
    condition = [for m in google_secret_manager_secret_iam_member.connector_sasl : [m.secret_id, m.role, m.member]] == [
      [google_secret_manager_secret.kafka_sasl_password[0].secret_id, "roles/secretmanager.secretAccessor", google_service_account.connector.member],
    ]
    error_message = "only the connector's service account may read the password, on that secret only"
  }

  assert {
    condition = alltrue([for line in [
      "ZTFBRIDGE_SASL_MECHANISM=\"SCRAM-SHA-512\"",
      "ZTFBRIDGE_SASL_USER=\"ztfbridge\"",
      "ZTFBRIDGE_SASL_PASSWORD_FILE=\"/run/ztfbridge/sasl-password\"",
      "ExecStartPre=+/usr/local/lib/ztfbridge/fetch-sasl-password",
      "gcloud secrets versions access latest --secret=\"ztf-kafka-sasl-password\" --project=\"ztfbridge-test\"",
      "RuntimeDirectoryMode=0700",
      "chmod 0400",
    ] : strcontains(google_compute_instance.connector.metadata_startup_script, line)])
    error_message = "the VM must read the password from Secret Manager at boot into a 0400 file on /run, and point the connector at it"
  }

  assert {
    condition     = !strcontains(jsonencode(google_compute_instance.connector.metadata), "SASL") && !strcontains(google_compute_instance.connector.metadata_startup_script, "ZTFBRIDGE_SASL_PASSWORD=")
    error_message = "the password must never be in the metadata"
  }
}

run "no_sasl_no_secret" {
  command = plan

  assert {
    condition     = length(google_secret_manager_secret.kafka_sasl_password) == 0 && !strcontains(google_compute_instance.connector.metadata_startup_script, "fetch-sasl-password")
    error_message = "without SASL there is no secret to read"
  }
}

run "rejects_password_in_metadata" {
  command = plan

  variables {
    connector_env = { ZTFBRIDGE_SASL_PASSWORD = "hunter2" }
  }

  expect_failures = [var.connector_env]
}

run "rejects_loader_image_by_tag" {
  command = plan

  variables {
    loader_image = "us-central1-docker.pkg.dev/ztfbridge-test/ztfbridge/ztfbridge:latest"
  }

  expect_failures = [var.loader_image]
}

run "lifecycle_rules" {
  command = plan

  variables {
    alert_bucket_lifecycle_rules = [
      { action = "SetStorageClass", age_days = 400, storage_class = "COLDLINE", matches_prefix = ["ztf_"] },
      { action = "Delete", age_days = 90, matches_prefix = ["quarantine/"] },
    ]
  }

  assert {
    condition = jsonencode([for r in google_storage_bucket.alerts.lifecycle_rule : [one(r.action).type, one(r.action).storage_class, one(r.condition).age, one(r.condition).matches_prefix]]) == jsonencode([
      ["SetStorageClass", "COLDLINE", 400, ["ztf_"]],
      ["Delete", null, 90, ["quarantine/"]],
    ])
    error_message = "each lifecycle rule variable must become a rule of the alert bucket"
  }
}

run "alert_emails" {
  command = plan

  variables {
    alert_emails = ["night-shift@example.org"]
  }

  assert {
    condition     = length(google_monitoring_notification_channel.email) == 1 && google_monitoring_notification_channel.email["night-shift@example.org"].labels.email_address == "night-shift@example.org"
    error_message = "each alert e-mail must get a notification channel"
  }
}

run "custom_prefix_notifications" {
  command = plan

  variables {
    alert_object_prefix = "alerts/{night}/"
  }

  assert {
    condition     = google_storage_notification.alerts.object_name_prefix == "alerts/" && google_cloudfunctions2_function.store_alert.service_config[0].environment_variables["ZTFBRIDGE_PREFIX"] == "alerts/{night}/"
    error_message = "a prefix template must reach the function, and notifications must cover its fixed part"
  }
}

run "rejects_bad_brokers" {
  command = plan

  variables {
    ztf_kafka_brokers = ["kafka.example.org"]
  }

  expect_failures = [var.ztf_kafka_brokers]
}

run "rejects_bad_project" {
  command = plan

  variables {
    project_id = "Not_A_Project"
  }

  expect_failures = [var.project_id]
}

run "rejects_zone_outside_region" {
  command = plan

  variables {
    zone = "europe-west1-b"
  }

  expect_failures = [var.zone]
}

run "rejects_bad_lifecycle_rule" {
  command = plan

  variables {
    alert_bucket_lifecycle_rules = [{ action = "Delete", age_days = 30, storage_class = "NEARLINE" }]
  }

  expect_failures = [var.alert_bucket_lifecycle_rules]
}

run "rejects_bad_connector_env" {
  command = plan

  variables {
    connector_env = { KAFKA_BROKERS = "x:1" }
  }

  expect_failures = [var.connector_env]
}

run "rejects_missing_binary" {
  command = plan

  variables {
    ztfbridge_binary = "tests/fixtures/does-not-exist"
  }

  expect_failures = [var.ztfbridge_binary]
}
