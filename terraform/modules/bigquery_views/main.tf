# Views of one BigQuery dataset, made from the parts of
# `CREATE OR REPLACE VIEW ... AS <query>` statements (see ../../bigquery.tf).
# The root module calls it once per round, because a view can only be made
# after the views it reads.

terraform {
  required_providers {
    google = {
      source = "hashicorp/google"
    }
  }
}

variable "dataset_id" {
  description = "Dataset that holds the views."
  type        = string
}

variable "views" {
  description = "Views by name: the description and the standard-SQL query of each."
  type = map(object({
    description = optional(string)
    query       = string
  }))
}

resource "google_bigquery_table" "view" {
  for_each = var.views

  dataset_id  = var.dataset_id
  table_id    = each.key
  description = each.value.description

  view {
    query          = each.value.query
    use_legacy_sql = false
  }

  # A view holds no data: it can always be made again.
  deletion_protection = false
}

output "views" {
  description = "The views by name, as made."
  value = {
    for name, v in google_bigquery_table.view : name => {
      id             = v.id
      table_id       = v.table_id
      description    = v.description
      query          = v.view[0].query
      use_legacy_sql = v.view[0].use_legacy_sql
    }
  }
}
