# BigQuery: the dataset, the alert table (one row per candid; its schema is
# generated from the Go definition in internal/bqrow, never written by hand),
# and the analysts' views shipped with the loader (bqloader/sql).

resource "google_bigquery_dataset" "ztf" {
  dataset_id                 = var.dataset_id
  location                   = local.dataset_location
  description                = "ZTF alerts streamed by ztfbridge: one row per candid, partitioned by night."
  delete_contents_on_destroy = !var.deletion_protection
  depends_on                 = [google_project_service.apis]
}

resource "google_bigquery_table" "alerts" {
  dataset_id  = google_bigquery_dataset.ztf.dataset_id
  table_id    = var.alerts_table
  description = "One row per ZTF alert (candid), written by the ztfbridge loader. Cutouts live in gs://${google_storage_bucket.alerts.name}."

  # `ztfbridge schema` writes this file from the code's own definition.
  schema = file("${path.module}/schema/alerts.json")

  # A night is a UTC date: queries of a night read one partition, and rows of
  # one object sit together.
  time_partitioning {
    type  = "DAY"
    field = "night"
  }
  clustering = ["objectId", "candid"]

  deletion_protection = var.deletion_protection
}

locals {
  # Every bqloader/sql/views/*.sql is a view named after its file, with
  # ${project} and ${dataset} placeholders.
  view_dir   = "${path.module}/../bqloader/sql/views"
  view_files = fileset(local.view_dir, "*.sql")
}

resource "google_bigquery_table" "views" {
  for_each = { for f in local.view_files : trimsuffix(f, ".sql") => f }

  dataset_id = google_bigquery_dataset.ztf.dataset_id
  table_id   = each.key

  view {
    query = templatefile("${local.view_dir}/${each.value}", {
      project = var.project_id
      dataset = google_bigquery_dataset.ztf.dataset_id
    })
    use_legacy_sql = false
  }

  # A view holds no data: it can always be made again.
  deletion_protection = false
  depends_on          = [google_bigquery_table.alerts]
}

resource "google_bigquery_dataset_iam_member" "readers" {
  for_each = toset(var.bigquery_readers)

  dataset_id = google_bigquery_dataset.ztf.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
