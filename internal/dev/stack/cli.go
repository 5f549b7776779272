package stack

// CLIEnv returns the variables that let gcloud, gsutil and bq run against
// the local stack without a Google account: a fake access token (the
// emulators ignore it; bq refuses to run with credentials disabled),
// project as the default project, no prompts, no update checks.
func CLIEnv(project string) []string {
	return []string{
		"CLOUDSDK_AUTH_ACCESS_TOKEN=fake",
		"CLOUDSDK_CORE_PROJECT=" + project,
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"GOOGLE_CLOUD_PROJECT=" + project,
	}
}
