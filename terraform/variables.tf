# Inputs of the ztfbridge deployment. Only project_id, ztf_kafka_brokers and
# loader_image have no default; docs/deploy.md lists them all with examples.

# --- Project -----------------------------------------------------------------

variable "project_id" {
  description = "Google Cloud project that receives the whole pipeline."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 characters: lowercase letters, digits, hyphens; starting with a letter)."
  }
}

variable "region" {
  description = "Region of the regional resources (subnet, VM address, function, loader, buckets, dataset unless overridden)."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west1."
  }
}

variable "zone" {
  description = "Zone of the connector VM; null means the region's \"-b\" zone."
  type        = string
  default     = null

  validation {
    condition     = var.zone == null || startswith(coalesce(var.zone, "-"), "${var.region}-")
    error_message = "zone must be in the chosen region (for example us-central1-b for us-central1)."
  }
}

variable "labels" {
  description = "Labels put on every resource that takes labels."
  type        = map(string)
  default     = { app = "ztfbridge" }

  validation {
    condition = alltrue([for k, v in var.labels :
    can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys must start with a lowercase letter; keys and values hold only lowercase letters, digits, _ and - (at most 63)."
  }
}

variable "deletion_protection" {
  description = "Protect the data (alert bucket, BigQuery dataset and table) from terraform destroy. Turn off only for a throw-away deployment."
  type        = bool
  default     = true
}

# --- Kafka and the connector VM ----------------------------------------------

variable "ztf_kafka_brokers" {
  description = "ZTF Kafka bootstrap brokers, host:port each. ZTF must allow-list the connector's static address (output connector_ip)."
  type        = list(string)

  validation {
    condition     = length(var.ztf_kafka_brokers) > 0 && alltrue([for b in var.ztf_kafka_brokers : can(regex("^[A-Za-z0-9.-]+:[0-9]{1,5}$", b))])
    error_message = "ztf_kafka_brokers must be a non-empty list of host:port."
  }
}

variable "kafka_group" {
  description = "Kafka consumer group of the connector. Changing it re-reads every retained night from the earliest offset."
  type        = string
  default     = "ztfbridge"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,249}$", var.kafka_group))
    error_message = "kafka_group must be 1-249 characters from letters, digits, '.', '_' and '-'."
  }
}

variable "connector_consumers" {
  description = "Parallel Kafka consumers in the connector (ZTFBRIDGE_CONSUMERS); null keeps the binary's default, sized for a 2-core VM."
  type        = number
  default     = null

  validation {
    condition     = var.connector_consumers == null || (floor(coalesce(var.connector_consumers, 1)) == coalesce(var.connector_consumers, 1) && coalesce(var.connector_consumers, 1) >= 1 && coalesce(var.connector_consumers, 1) <= 64)
    error_message = "connector_consumers must be a whole number from 1 to 64."
  }
}

variable "connector_batch_size" {
  description = "Messages the connector handles at once (ZTFBRIDGE_BATCH_SIZE); null keeps the binary's default."
  type        = number
  default     = null

  validation {
    condition     = var.connector_batch_size == null || (floor(coalesce(var.connector_batch_size, 1)) == coalesce(var.connector_batch_size, 1) && coalesce(var.connector_batch_size, 1) >= 1 && coalesce(var.connector_batch_size, 1) <= 100000)
    error_message = "connector_batch_size must be a whole number from 1 to 100000."
  }
}

variable "connector_env" {
  description = "Further ZTFBRIDGE_* settings of `ztfbridge connect` (see `ztfbridge connect --help`), e.g. { ZTFBRIDGE_DEDUP_REPLAY = \"true\" }. They override the ones this module sets."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.connector_env : can(regex("^ZTFBRIDGE_[A-Z0-9_]+$", k)) && !can(regex("[\"\\\\\\n$`]", v))])
    error_message = "connector_env keys must look like ZTFBRIDGE_NAME; values must not hold quotes, backslashes, '$', '`' or newlines."
  }

  # connector_env ends up in the instance metadata, which every process on
  # the VM and every project viewer can read.
  validation {
    condition     = !anytrue([for k in keys(var.connector_env) : startswith(k, "ZTFBRIDGE_SASL_")])
    error_message = "connector_env must not hold SASL settings: set kafka_sasl_mechanism and kafka_sasl_user, and put the password in Secret Manager (docs/deploy.md)."
  }
}

variable "kafka_sasl_mechanism" {
  description = "Kafka SASL mechanism of the connector (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512); null for none (ZTF's public stream). With a mechanism, terraform creates the Secret Manager secret kafka_sasl_secret_id that holds the password; the VM reads it at boot."
  type        = string
  default     = null

  validation {
    condition     = var.kafka_sasl_mechanism == null || contains(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], coalesce(var.kafka_sasl_mechanism, "-"))
    error_message = "kafka_sasl_mechanism must be PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or null."
  }
}

variable "kafka_sasl_user" {
  description = "Kafka SASL user of the connector; required with kafka_sasl_mechanism. Not a secret: it goes to the VM's metadata."
  type        = string
  default     = null

  validation {
    condition     = (var.kafka_sasl_mechanism == null) == (var.kafka_sasl_user == null) && (var.kafka_sasl_user == null || can(regex("^[^\"\\\\\\n$`]+$", coalesce(var.kafka_sasl_user, "-"))))
    error_message = "kafka_sasl_user is required with kafka_sasl_mechanism (and only then), without quotes, backslashes, '$', '`' or newlines."
  }
}

variable "kafka_sasl_secret_id" {
  description = "Secret Manager secret holding the Kafka SASL password (its latest version). Terraform creates the secret, never a version: add one with `gcloud secrets versions add`, so the password is in neither the metadata nor the terraform state."
  type        = string
  default     = "ztf-kafka-sasl-password"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.kafka_sasl_secret_id))
    error_message = "kafka_sasl_secret_id must be 1-255 letters, digits, '_' or '-'."
  }
}

variable "connector_metrics_port" {
  description = "Port of the connector's Prometheus /metrics, scraped by the Ops Agent on the VM (never exposed outside it)."
  type        = number
  default     = 9464

  validation {
    condition     = var.connector_metrics_port >= 1024 && var.connector_metrics_port <= 65535 && !contains([20201, 20202], var.connector_metrics_port)
    error_message = "connector_metrics_port must be 1024-65535 and not 20201/20202 (used by the Ops Agent)."
  }
}

variable "connector_machine_type" {
  description = "Machine type of the connector VM. 2 vCPUs keep up with the 80k alerts/min bursts."
  type        = string
  default     = "e2-standard-2"

  validation {
    condition     = can(regex("^[a-z0-9]+-[a-z0-9-]+$", var.connector_machine_type))
    error_message = "connector_machine_type must be a machine type name such as e2-standard-2."
  }
}

variable "connector_image" {
  description = "Boot image of the connector VM. The startup script needs a Debian-like image with the gcloud CLI (the Google Debian images have it)."
  type        = string
  default     = "debian-cloud/debian-12"

  validation {
    condition     = length(var.connector_image) > 0
    error_message = "connector_image must not be empty."
  }
}

variable "subnet_cidr" {
  description = "Private range of the ztfbridge subnet that holds the connector VM."
  type        = string
  default     = "10.60.0.0/24"

  validation {
    condition     = can(cidrnetmask(var.subnet_cidr))
    error_message = "subnet_cidr must be an IPv4 CIDR block such as 10.60.0.0/24."
  }
}

variable "ztfbridge_binary" {
  description = "Local path of the linux/amd64 ztfbridge binary (`make build`) that terraform uploads for the VM. Relative paths are from the terraform/ directory."
  type        = string
  default     = "../build/ztfbridge"

  validation {
    condition     = fileexists(var.ztfbridge_binary)
    error_message = "ztfbridge_binary must point at an existing file: run `make build` first."
  }
}

# --- Pub/Sub -----------------------------------------------------------------

variable "alerts_topic" {
  description = "Pub/Sub topic the connector publishes every alert to."
  type        = string
  default     = "ztf-alerts"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$", var.alerts_topic)) && !startswith(lower(var.alerts_topic), "goog")
    error_message = "alerts_topic must be a valid Pub/Sub topic name (3-255 characters, starting with a letter, not with \"goog\")."
  }
}

variable "subscription_retention" {
  description = "How long the loader's subscription and the dead-letter subscription keep unacknowledged messages (seconds, with an s suffix; 10m to 7d)."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.subscription_retention)) && tonumber(trimsuffix(var.subscription_retention, "s")) >= 600 && tonumber(trimsuffix(var.subscription_retention, "s")) <= 604800
    error_message = "subscription_retention must be a duration in seconds like \"604800s\", between 600s and 604800s."
  }
}

variable "loader_ack_deadline_seconds" {
  description = "Ack deadline of the loader's subscription; the client library extends it while a batch is being written."
  type        = number
  default     = 60

  validation {
    condition     = var.loader_ack_deadline_seconds >= 10 && var.loader_ack_deadline_seconds <= 600
    error_message = "loader_ack_deadline_seconds must be between 10 and 600."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one message to the function or the loader before Pub/Sub moves it to the dead-letter topic. With the 10 s to 600 s backoff, 10 attempts take about 40 minutes: a broken stage dead-letters within the hour, and the hold subscription keeps those 7 days for `ztfbridge redrive`."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (Pub/Sub's limits)."
  }
}

# --- Alert bucket --------------------------------------------------------------

variable "alert_bucket_name" {
  description = "Name of the bucket holding one Avro object per alert; null means \"<project_id>-ztf-alerts\"."
  type        = string
  default     = null

  validation {
    condition     = var.alert_bucket_name == null || can(regex("^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$", coalesce(var.alert_bucket_name, "-")))
    error_message = "alert_bucket_name must be a valid bucket name (3-63 lowercase letters, digits, '-', '_' or '.')."
  }
}

variable "bucket_location" {
  description = "Location of the buckets; null means the region (cheapest for the function that writes and the analyses that read)."
  type        = string
  default     = null
}

variable "alert_bucket_lifecycle_rules" {
  description = <<-EOT
    Lifecycle rules of the alert bucket. Each rule acts on objects older than age_days:
    action "SetStorageClass" (with storage_class NEARLINE, COLDLINE or ARCHIVE) or "Delete";
    matches_prefix limits a rule to object name prefixes (alerts are named ztf_YYYYMMDD_programid1_<candid>.avro,
    bad messages quarantine/..., the connector's counts _ztfbridge/...). None by default: alerts are
    46-90 KB, so a class change costs more per object than it saves for a year or more (see docs/deploy.md).
  EOT
  type = list(object({
    action         = string
    age_days       = number
    storage_class  = optional(string)
    matches_prefix = optional(list(string), [])
  }))
  default = []

  validation {
    condition = alltrue([for r in var.alert_bucket_lifecycle_rules :
      contains(["SetStorageClass", "Delete"], r.action) &&
      r.age_days >= 0 && floor(r.age_days) == r.age_days &&
      (r.action == "Delete" ? r.storage_class == null : contains(["NEARLINE", "COLDLINE", "ARCHIVE"], coalesce(r.storage_class, "-")))
    ])
    error_message = "Each lifecycle rule needs action SetStorageClass (with storage_class NEARLINE, COLDLINE or ARCHIVE) or Delete (without storage_class), and a whole age_days >= 0."
  }
}

variable "alert_object_prefix" {
  description = "Template put before each alert object name by the function (its --prefix, ZTFBRIDGE_PREFIX), with placeholders {topic} {night} {year} {month} {day}. Empty keeps alerts at the bucket root, where `gsutil ls gs://BUCKET/ztf_YYYYMMDD_programid1_*.avro | wc -l` counts a night."
  type        = string
  default     = ""

  validation {
    condition     = alltrue([for p in regexall("\\{[^{}]*\\}", var.alert_object_prefix) : contains(["{topic}", "{night}", "{year}", "{month}", "{day}"], p)])
    error_message = "alert_object_prefix may only use the placeholders {topic}, {night}, {year}, {month} and {day}."
  }
}

# --- Cloud Function (functions/) -------------------------------------------------

variable "function_source_zip" {
  description = "Local path of the function's source archive made by scripts/build-function-zip.sh. Relative paths are from the terraform/ directory."
  type        = string
  default     = "../build/function-source.zip"

  validation {
    condition     = fileexists(var.function_source_zip)
    error_message = "function_source_zip must point at an existing file: run scripts/build-function-zip.sh first."
  }
}

variable "function_entry_point" {
  description = "Go function registered by functions/ (see docs/function.md)."
  type        = string
  default     = "StoreAlert"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*$", var.function_entry_point))
    error_message = "function_entry_point must be a Go identifier."
  }
}

variable "function_runtime" {
  description = "Cloud Functions Go runtime the source archive is built for (functions.Runtime, see docs/function.md)."
  type        = string
  default     = "go126"

  validation {
    condition     = can(regex("^go1[0-9]{2}$", var.function_runtime))
    error_message = "function_runtime must be a Go runtime id such as go126."
  }
}

variable "function_env" {
  description = "Further ZTFBRIDGE_* settings of the function (see docs/function.md), e.g. { ZTFBRIDGE_QUARANTINE_PREFIX = \"bad/\" }. They override the ones this module sets."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.function_env : can(regex("^ZTFBRIDGE_[A-Z0-9_]+$", k)) && !contains(["ZTFBRIDGE_BUCKET", "ZTFBRIDGE_PREFIX"], k)])
    error_message = "function_env keys must look like ZTFBRIDGE_NAME; the bucket and prefix come from alert_bucket_name and alert_object_prefix."
  }
}

variable "function_max_instances" {
  description = "Upper bound on function instances; with function_concurrency it caps the GCS write rate during the 80k/min bursts."
  type        = number
  default     = 50

  validation {
    condition     = var.function_max_instances >= 1 && var.function_max_instances <= 1000
    error_message = "function_max_instances must be between 1 and 1000."
  }
}

variable "function_concurrency" {
  description = "Events one function instance handles at once (needs a whole vCPU, which this module gives it)."
  type        = number
  default     = 16

  validation {
    condition     = var.function_concurrency >= 1 && var.function_concurrency <= 1000
    error_message = "function_concurrency must be between 1 and 1000."
  }
}

variable "function_memory" {
  description = "Memory of one function instance."
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.function_memory))
    error_message = "function_memory must look like 512Mi or 1Gi."
  }
}

# --- BigQuery and the loader ------------------------------------------------------

variable "dataset_id" {
  description = "BigQuery dataset of the loader's alerts_raw table and the views (alerts, light_curve, night_counts)."
  type        = string
  default     = "ztf"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.dataset_id)) && length(var.dataset_id) <= 1024
    error_message = "dataset_id may only hold letters, digits and underscores."
  }
}

variable "dataset_location" {
  description = "Location of the dataset; null means the region."
  type        = string
  default     = null
}

variable "bigquery_readers" {
  description = "IAM members (user:, group:, serviceAccount:) who may read the dataset, e.g. [\"group:ztf-analysts@example.org\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.bigquery_readers : can(regex("^(user|group|serviceAccount|domain):.+", m))])
    error_message = "bigquery_readers must be IAM members such as group:analysts@example.org."
  }
}

variable "loader_image" {
  description = "Container image whose entrypoint is the ztfbridge binary, pinned by digest (REPOSITORY@sha256:...); the loader runs it with the argument \"load\". A tag could move under a running worker pool: every new instance would run whatever the tag names then."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^ @:]+(:[^ @]+)?@sha256:[0-9a-f]{64}$", var.loader_image))
    error_message = "loader_image must be a full image reference pinned by digest, such as us-central1-docker.pkg.dev/PROJECT/ztfbridge/ztfbridge@sha256:<64 hex digits> (`gcloud artifacts docker images describe IMAGE:TAG --format 'value(image_summary.digest)'`)."
  }
}

variable "loader_instances" {
  description = "Loader instances (Cloud Run worker pool, manual scaling). They share one subscription; the loader keeps one row per candid across them."
  type        = number
  default     = 2

  validation {
    condition     = var.loader_instances >= 1 && var.loader_instances <= 100 && floor(var.loader_instances) == var.loader_instances
    error_message = "loader_instances must be a whole number from 1 to 100."
  }
}

variable "loader_cpu" {
  description = "vCPUs of one loader instance."
  type        = string
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.loader_cpu)
    error_message = "loader_cpu must be one of 1, 2, 4, 6, 8."
  }
}

variable "loader_memory" {
  description = "Memory of one loader instance."
  type        = string
  default     = "1Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.loader_memory))
    error_message = "loader_memory must look like 512Mi or 1Gi."
  }
}

variable "loader_env" {
  description = "Further ZTFBRIDGE_* settings of `ztfbridge load` (see `ztfbridge load --help`). They override the ones this module sets."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.loader_env : can(regex("^ZTFBRIDGE_[A-Z0-9_]+$", k))])
    error_message = "loader_env keys must look like ZTFBRIDGE_NAME."
  }
}

# --- Monitoring ------------------------------------------------------------------------

variable "alert_emails" {
  description = "E-mail addresses notified by the alert policies (consumer lag, loader backlog, dead letters)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "lag_alert_threshold" {
  description = "Kafka consumer lag (messages behind, summed over partitions) above which the lag alert fires."
  type        = number
  default     = 50000

  validation {
    condition     = var.lag_alert_threshold > 0
    error_message = "lag_alert_threshold must be positive."
  }
}

variable "lag_alert_minutes" {
  description = "How many minutes the lag must stay above the threshold before the alert fires (bursts of 80k/min are normal for a few minutes)."
  type        = number
  default     = 15

  validation {
    condition     = var.lag_alert_minutes >= 1 && var.lag_alert_minutes <= 1440
    error_message = "lag_alert_minutes must be between 1 and 1440."
  }
}

variable "function_backlog_alert_minutes" {
  description = "Age in minutes of the oldest unacknowledged message in the function's subscription above which the backlog alert fires."
  type        = number
  default     = 30

  validation {
    condition     = var.function_backlog_alert_minutes >= 5
    error_message = "function_backlog_alert_minutes must be at least 5."
  }
}

variable "lag_stall_minutes" {
  description = "Minutes a Kafka partition's lag may stay above zero without moving before the stall alert fires (the connector stopped reading it)."
  type        = number
  default     = 15

  validation {
    condition     = var.lag_stall_minutes >= 5 && var.lag_stall_minutes <= 1440
    error_message = "lag_stall_minutes must be between 5 and 1440."
  }
}

variable "loader_backlog_alert_minutes" {
  description = "Age in minutes of the oldest unacknowledged message in the loader's subscription above which the backlog alert fires."
  type        = number
  default     = 60

  validation {
    condition     = var.loader_backlog_alert_minutes >= 5
    error_message = "loader_backlog_alert_minutes must be at least 5."
  }
}
