package permissions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// target says, for each IAM member resource type terraform/ uses, which
// attribute names the resource, the type of that resource, and the
// attribute of that resource the value matches.
var target = map[string]struct{ attr, kind, field string }{
	"google_pubsub_topic_iam_member":                 {"topic", "google_pubsub_topic", "name"},
	"google_pubsub_subscription_iam_member":          {"subscription", "google_pubsub_subscription", "name"},
	"google_storage_bucket_iam_member":               {"bucket", "google_storage_bucket", "name"},
	"google_bigquery_dataset_iam_member":             {"dataset_id", "google_bigquery_dataset", "dataset_id"},
	"google_artifact_registry_repository_iam_member": {"repository", "google_artifact_registry_repository", "repository_id"},
	"google_cloud_run_v2_service_iam_member":         {"name", "google_cloudfunctions2_function", "name"},
	"google_service_account_iam_member":              {"service_account_id", "google_service_account", "email"},
	"google_secret_manager_secret_iam_member":        {"secret_id", "google_secret_manager_secret", "secret_id"},
	"google_project_iam_member":                      {"project", "", ""},
}

type plan struct {
	PlannedValues struct {
		RootModule struct {
			Resources []planned `json:"resources"`
		} `json:"root_module"`
	} `json:"planned_values"`
	Configuration struct {
		RootModule struct {
			Resources []configured `json:"resources"`
		} `json:"root_module"`
	} `json:"configuration"`
}

type planned struct {
	Address string         `json:"address"`
	Mode    string         `json:"mode"`
	Type    string         `json:"type"`
	Name    string         `json:"name"`
	Values  map[string]any `json:"values"`
}

// config is the address of p's resource in the configuration.
func (p planned) config() string {
	if p.Mode == "data" {
		return "data." + p.Type + "." + p.Name
	}
	return p.Type + "." + p.Name
}

type configured struct {
	Address     string                     `json:"address"`
	Expressions map[string]json.RawMessage `json:"expressions"`
}

type expression struct {
	References []string `json:"references"`
}

// GrantsFromPlan returns the grants of every IAM member resource of the
// root module of a plan in the JSON of `terraform show -json`, in the order
// of the plan. A principal or resource is known by the one resource (or
// local) its expression refers to or, when the expression refers to several
// or to each.value, by its planned value; a grant that can be told neither
// way is an error, so that no grant escapes the check.
func GrantsFromPlan(data []byte) ([]Grant, error) {
	var p plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	resources := p.PlannedValues.RootModule.Resources
	exprs := map[string]map[string]json.RawMessage{}
	for _, c := range p.Configuration.RootModule.Resources {
		exprs[c.Address] = c.Expressions
	}
	var grants []Grant
	for _, r := range resources {
		if !strings.HasSuffix(r.Type, "_iam_member") {
			continue
		}
		t, ok := target[r.Type]
		if !ok {
			return nil, fmt.Errorf("%s: the permission check does not know %s: add it to permissions.target", r.Address, r.Type)
		}
		ex := exprs[r.config()]
		g := Grant{Address: r.Address, Resource: Project}
		var err error
		if g.Principal, err = resolve(resources, ex, r, "member", "google_service_account", "member"); err != nil {
			return nil, err
		}
		if t.kind != "" {
			if g.Resource, err = resolve(resources, ex, r, t.attr, t.kind, t.field); err != nil {
				return nil, err
			}
		}
		if g.Role, g.Custom, err = role(resources, ex, r); err != nil {
			return nil, err
		}
		if cs, ok := r.Values["condition"].([]any); ok && len(cs) > 0 {
			if c, ok := cs[0].(map[string]any); ok {
				g.Condition, _ = c["title"].(string)
			}
		}
		grants = append(grants, g)
	}
	return grants, nil
}

// resolve names what attribute attr of r refers to: the single thing its
// expression references, else the resource of type kind whose field equals
// the attribute's planned value.
func resolve(resources []planned, ex map[string]json.RawMessage, r planned, attr, kind, field string) (string, error) {
	if refs := references(ex, attr); len(refs) == 1 {
		return refs[0], nil
	}
	if v, ok := r.Values[attr].(string); ok {
		for _, o := range resources {
			if o.Type == kind && o.Values[field] == v {
				return o.config(), nil
			}
		}
	}
	return "", fmt.Errorf("%s: cannot tell what its %s is (refer to one resource, or to a value known at plan time)", r.Address, attr)
}

// role returns r's role, or the address and permissions of the custom role
// it refers to.
func role(resources []planned, ex map[string]json.RawMessage, r planned) (string, []string, error) {
	if v, ok := r.Values["role"].(string); ok {
		return v, nil, nil
	}
	refs := references(ex, "role")
	if len(refs) == 1 {
		for _, o := range resources {
			if o.config() == refs[0] && o.Type == "google_project_iam_custom_role" {
				var perms []string
				ps, _ := o.Values["permissions"].([]any)
				for _, p := range ps {
					if s, ok := p.(string); ok {
						perms = append(perms, s)
					}
				}
				slices.Sort(perms)
				return refs[0], perms, nil
			}
		}
	}
	return "", nil, fmt.Errorf("%s: cannot tell its role", r.Address)
}

// references returns the distinct resources, data sources and locals the
// expression of attr refers to, without instance keys; each.*, count.* and
// var.* are left out (they say nothing about which resource).
func references(ex map[string]json.RawMessage, attr string) []string {
	var e expression
	if err := json.Unmarshal(ex[attr], &e); err != nil {
		return nil
	}
	var out []string
	for _, ref := range e.References {
		parts := strings.Split(ref, ".")
		n := 2
		switch parts[0] {
		case "each", "count", "var", "path", "self", "module":
			continue
		case "data":
			n = 3
		}
		if len(parts) < n {
			continue
		}
		name := parts[:n]
		last, _, _ := strings.Cut(name[n-1], "[")
		s := strings.Join(append(slices.Clone(name[:n-1]), last), ".")
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
