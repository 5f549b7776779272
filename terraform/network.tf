# A VPC of its own for the connector VM, so the deployment does not depend on
# (or open anything in) the project's default network.

resource "google_compute_network" "ztfbridge" {
  name                    = "ztfbridge"
  auto_create_subnetworks = false
  depends_on              = [google_project_service.apis]
}

resource "google_compute_subnetwork" "ztfbridge" {
  name                     = "ztfbridge-${var.region}"
  region                   = var.region
  network                  = google_compute_network.ztfbridge.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true
}

# No inbound traffic except SSH through Identity-Aware Proxy
# (`gcloud compute ssh --tunnel-through-iap`). Egress (Kafka, Google APIs)
# is allowed by the VPC's implied rule.
resource "google_compute_firewall" "iap_ssh" {
  name          = "ztfbridge-allow-iap-ssh"
  network       = google_compute_network.ztfbridge.id
  direction     = "INGRESS"
  source_ranges = ["35.235.240.0/20"]
  target_tags   = ["ztf-connector"]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

# The connector's fixed public address: ZTF allow-lists the addresses that
# may read its Kafka brokers, so it must survive VM re-creation.
resource "google_compute_address" "connector" {
  name         = "ztf-connector"
  region       = var.region
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  description  = "Source address of the ztfbridge connector; give it to ZTF for their allow-list."
  depends_on   = [google_project_service.apis]
}
