# BigQuery: the dataset, the raw table the loader streams into, and the
# views analysts query, all named as the loader names them (bqloader/sql.go).
# The raw table's schema is generated from the Go definition
# (internal/core/bqrow), never written by hand.

resource "google_bigquery_dataset" "ztf" {
  dataset_id                 = var.dataset_id
  location                   = local.dataset_location
  description                = "ZTF alerts streamed by ztfbridge load. Query the alerts view: exactly one row per candid."
  delete_contents_on_destroy = !var.deletion_protection
  depends_on                 = [google_project_service.apis]
}

# alerts_raw holds every row the loader wrote: a candid may appear twice
# after a redelivery; the alerts view keeps one.
resource "google_bigquery_table" "alerts_raw" {
  dataset_id  = google_bigquery_dataset.ztf.dataset_id
  table_id    = "alerts_raw"
  description = "Every alert row the loader wrote; a candid may appear more than once. Query the alerts view. Cutouts live in gs://${google_storage_bucket.alerts.name}."

  # `ztfbridge schema` writes this file from the code's own definition.
  schema = file("${path.module}/schema/alerts.json")

  # A night is a UTC date: a night's queries read one partition, and the
  # rows of one object sit together.
  time_partitioning {
    type  = "DAY"
    field = "night"
  }
  clustering = ["objectId", "candid"]

  # Terraform owns the schema: a newer ZTF schema version's columns come
  # from the regenerated schema/alerts.json, an additive in-place update.
  # The loader creates nothing in production (no --create-resources): it
  # checks at start-up that the table has every column it writes.
  deletion_protection = var.deletion_protection
}

locals {
  # Each bqloader/sql/*.sql holds one
  #   CREATE OR REPLACE VIEW `${project}.${dataset}.NAME` [OPTIONS (description = "...")] AS <query>
  # statement; the loader runs them as they are, terraform makes the same
  # views from their parts.
  view_dir = "${path.module}/../bqloader/sql"
  views = {
    for f in fileset(local.view_dir, "*.sql") : trimsuffix(f, ".sql") => regex(
      "(?is)^.*?CREATE\\s+OR\\s+REPLACE\\s+VIEW\\s+`[^`]*\\.(?P<name>[A-Za-z0-9_]+)`\\s*(?:OPTIONS\\s*\\(\\s*description\\s*=\\s*\"(?P<description>[^\"]*)\"\\s*\\))?\\s*AS\\s+(?P<query>.*)$",
      templatefile("${local.view_dir}/${f}", { project = var.project_id, dataset = var.dataset_id }),
    )
  }
  # A view must be made after the views it reads: those that read no other
  # view come first, the others after them (two levels are all the SQL
  # needs today; the test in tests/ checks that).
  view_reads_view = {
    for name, v in local.views : name => anytrue([for other in keys(local.views) : other != name && strcontains(v.query, ".${other}`")])
  }
}

module "views" {
  source = "./modules/bigquery_views"

  dataset_id = google_bigquery_dataset.ztf.dataset_id
  views = {
    for name, v in local.views : v.name => { description = v.description, query = trimspace(v.query) }
    if !local.view_reads_view[name]
  }
  depends_on = [google_bigquery_table.alerts_raw]
}

module "views_of_views" {
  source = "./modules/bigquery_views"

  dataset_id = google_bigquery_dataset.ztf.dataset_id
  views = {
    for name, v in local.views : v.name => { description = v.description, query = trimspace(v.query) }
    if local.view_reads_view[name]
  }
  depends_on = [module.views]
}

resource "google_bigquery_dataset_iam_member" "readers" {
  for_each = toset(var.bigquery_readers)

  dataset_id = google_bigquery_dataset.ztf.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
