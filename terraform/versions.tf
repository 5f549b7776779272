terraform {
  # 1.9+ for validations that refer to other variables; 1.11 is what CI runs.
  required_version = ">= 1.11"

  required_providers {
    # Only the google provider: it is the one scripts/terraform-provider-mirror.sh
    # puts in the offline mirror.
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
  }
}

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = var.labels
}
