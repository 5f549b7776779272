package permissions

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func readCalls(t *testing.T) []Call {
	t.Helper()
	f, err := os.Open("calls.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls, err := ReadCalls(f)
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

func readRoles(t *testing.T) Roles {
	t.Helper()
	f, err := os.Open("roles.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	roles, err := ReadRoles(f)
	if err != nil {
		t.Fatal(err)
	}
	return roles
}

func readGrants(t *testing.T, path string) []Grant {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var grants []Grant
	if err := json.Unmarshal(b, &grants); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return grants
}

// TestGrantsCoverCalls is the check itself, on what terraform grants today
// (grants.json, kept equal to the offline plan by scripts/terraform-check.sh).
func TestGrantsCoverCalls(t *testing.T) {
	calls, roles := readCalls(t), readRoles(t)
	grants := readGrants(t, "grants.json")

	missing, err := Check(calls, roles, grants)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range missing {
		t.Errorf("not granted: %s", c)
	}
	unused, err := Unused(calls, roles, grants)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range unused {
		t.Errorf("%s gives %s %s on %s, which no call in calls.tsv needs", g.Address, g.Principal, g.Role, g.Resource)
	}
}

// TestCatchesGrantsOfCeb7f16 runs the check on the grants of commit ceb7f16
// (testdata/grants-ceb7f16.json, extracted from its offline plan), where the
// loader had only roles/pubsub.publisher on the dead-letter topic: on GCP
// its start-up GetTopic would be refused and the loader would not start.
func TestCatchesGrantsOfCeb7f16(t *testing.T) {
	calls, roles := readCalls(t), readRoles(t)
	missing, err := Check(calls, roles, readGrants(t, "testdata/grants-ceb7f16.json"))
	if err != nil {
		t.Fatal(err)
	}
	isLoaderGetTopic := func(c Call) bool {
		return c.Principal == "google_service_account.loader" && c.Resource == "google_pubsub_topic.deadletter" && c.Permission == "pubsub.topics.get"
	}
	if !slices.ContainsFunc(missing, isLoaderGetTopic) {
		t.Errorf("the loader's GetTopic on the dead-letter topic was not reported; missing: %v", missing)
	}
	// Everything else ceb7f16 lacks belongs to what it did not have yet:
	// the function's own subscription and the SASL secret.
	for _, c := range missing {
		if !isLoaderGetTopic(c) && c.Resource != "google_pubsub_subscription.function" && c.Resource != "google_secret_manager_secret.kafka_sasl_password" {
			t.Errorf("unexpected gap in ceb7f16: %s", c)
		}
	}
}

func TestCheck(t *testing.T) {
	roles := Roles{Source: "test", Date: "2026-12-02", Roles: map[string][]string{
		"roles/pubsub.publisher": {"pubsub.topics.publish"},
		"roles/pubsub.viewer":    {"pubsub.topics.get", "pubsub.subscriptions.get"},
	}}
	get := Call{Principal: "sa.a", Resource: "topic.t", Permission: "pubsub.topics.get", When: "start"}
	publish := Call{Principal: "sa.a", Resource: "topic.t", Permission: "pubsub.topics.publish", When: "always"}
	create := Call{Principal: "sa.a", Resource: Project, Permission: "pubsub.subscriptions.create", When: Creation}
	tests := []struct {
		name    string
		calls   []Call
		grants  []Grant
		missing []Call
		unused  int
	}{
		{"publisher has no topics.get", []Call{get, publish},
			[]Grant{{Principal: "sa.a", Resource: "topic.t", Role: "roles/pubsub.publisher"}}, []Call{get}, 0},
		{"viewer added", []Call{get, publish},
			[]Grant{{Principal: "sa.a", Resource: "topic.t", Role: "roles/pubsub.publisher"}, {Principal: "sa.a", Resource: "topic.t", Role: "roles/pubsub.viewer"}}, nil, 0},
		{"a project grant covers its resources", []Call{get},
			[]Grant{{Principal: "sa.a", Resource: Project, Role: "roles/pubsub.viewer"}}, nil, 0},
		{"another principal's grant does not count", []Call{get},
			[]Grant{{Principal: "sa.b", Resource: "topic.t", Role: "roles/pubsub.viewer"}}, []Call{get}, 1},
		{"another resource's grant does not count", []Call{get},
			[]Grant{{Principal: "sa.a", Resource: "topic.u", Role: "roles/pubsub.viewer"}}, []Call{get}, 1},
		{"custom role", []Call{get},
			[]Grant{{Principal: "sa.a", Resource: "topic.t", Role: "custom.r", Custom: []string{"pubsub.topics.get"}}}, nil, 0},
		{"creation calls are not checked, nor do they use a grant", []Call{create},
			[]Grant{{Principal: "sa.a", Resource: Project, Role: "roles/pubsub.viewer"}}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing, err := Check(tt.calls, roles, tt.grants)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(missing, tt.missing) {
				t.Errorf("missing = %v, want %v", missing, tt.missing)
			}
			unused, err := Unused(tt.calls, roles, tt.grants)
			if err != nil {
				t.Fatal(err)
			}
			if len(unused) != tt.unused {
				t.Errorf("unused = %v, want %d", unused, tt.unused)
			}
		})
	}

	_, err := Check([]Call{get}, roles, []Grant{{Address: "x", Principal: "sa.a", Resource: "topic.t", Role: "roles/unknown"}})
	if err == nil || !strings.Contains(err.Error(), "roles/unknown") {
		t.Errorf("a role missing from roles.json must be an error, got %v", err)
	}
}

func TestGrantsFromPlan(t *testing.T) {
	data, err := os.ReadFile("testdata/plan-iam.json")
	if err != nil {
		t.Fatal(err)
	}
	grants, err := GrantsFromPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Grant{}
	for _, g := range grants {
		got[g.Address] = g
	}
	want := []Grant{
		// A conditional between two topics: told by the planned topic name.
		{Address: `google_pubsub_topic_iam_member.connector_publish["deadletter roles/pubsub.viewer"]`,
			Principal: "google_service_account.connector", Resource: "google_pubsub_topic.deadletter", Role: "roles/pubsub.viewer"},
		// One reference each.
		{Address: "google_pubsub_topic_iam_member.loader_deadletter",
			Principal: "google_service_account.loader", Resource: "google_pubsub_topic.deadletter", Role: "roles/pubsub.publisher"},
		// A service agent named by a local, on a subscription unknown until apply.
		{Address: "google_pubsub_subscription_iam_member.pubsub_agent_loader",
			Principal: "local.pubsub_service_agent", Resource: "google_pubsub_subscription.loader", Role: "roles/pubsub.subscriber"},
		// A custom role, unknown until apply: its permissions from the plan.
		{Address: "google_storage_bucket_iam_member.connector_counts_bucket",
			Principal: "google_service_account.connector", Resource: "google_storage_bucket.alerts",
			Role: "google_project_iam_custom_role.bucket_metadata_reader", Custom: []string{"storage.buckets.get"}},
		// A project grant, with its condition.
		{Address: "google_project_iam_member.function_build_staging",
			Principal: "google_service_account.function_build", Resource: Project, Role: "roles/storage.objectAdmin", Condition: "gcf-staging-buckets-only"},
	}
	for _, w := range want {
		g, ok := got[w.Address]
		if !ok {
			t.Errorf("%s: not extracted", w.Address)
			continue
		}
		if g.Principal != w.Principal || g.Resource != w.Resource || g.Role != w.Role || !slices.Equal(g.Custom, w.Custom) || g.Condition != w.Condition {
			t.Errorf("%s:\n got %+v\nwant %+v", w.Address, g, w)
		}
	}
	if len(grants) != 8 {
		t.Errorf("%d grants, want 8 (4 connector_publish and the 4 others)", len(grants))
	}
}

// A grant whose resource can be told neither by reference nor by value
// (here: the topic of a conditional, unknown until apply) is an error, not
// a grant left out of the check.
func TestGrantsFromPlanRefusesWhatItCannotResolve(t *testing.T) {
	data, err := os.ReadFile("testdata/plan-iam.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	for _, r := range p["planned_values"].(map[string]any)["root_module"].(map[string]any)["resources"].([]any) {
		r := r.(map[string]any)
		if strings.HasPrefix(r["address"].(string), "google_pubsub_topic_iam_member.connector_publish") {
			delete(r["values"].(map[string]any), "topic")
		}
	}
	data, err = json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GrantsFromPlan(data); err == nil || !strings.Contains(err.Error(), "cannot tell what its topic is") {
		t.Errorf("err = %v, want cannot tell what its topic is", err)
	}
}
