// Package permissions checks that the IAM roles terraform/ grants cover the
// Google API calls the components make.
//
// Three files in this directory hold the data:
//
//   - calls.tsv: every Google API call of each component (start-up checks
//     included) with the permission it needs and the resource it is
//     checked on, written by hand from the code;
//   - roles.json: the permissions of each predefined role terraform grants,
//     copied from Google's IAM reference, with its date;
//   - grants.json: what terraform grants, extracted from the offline plan
//     (`terraform show -json`) by GrantsFromPlan; scripts/terraform-check.sh
//     regenerates it with the tfgrants command and fails when it differs.
//
// The package's test checks the three against each other: every call is
// covered by a grant, and every grant is needed by a call.
package permissions

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Project is the resource name of the project in calls and grants; a grant
// on it covers every resource of the project.
const Project = "project"

// Creation is the When of the calls needed only when the loader creates
// what terraform normally owns. They are not checked.
const Creation = "create"

// Call is one line of calls.tsv.
type Call struct {
	Principal  string // terraform address of the identity making the call
	Resource   string // terraform address of the resource, or Project
	Permission string
	When       string // start, always, boot, build, push or create
	Call       string // where in the code
}

func (c Call) String() string {
	return fmt.Sprintf("%s needs %s on %s (%s: %s)", c.Principal, c.Permission, c.Resource, c.When, c.Call)
}

// ReadCalls reads calls.tsv: a header line, then tab-separated lines;
// blank lines and lines starting with # are skipped.
func ReadCalls(r io.Reader) ([]Call, error) {
	var calls []Call
	header := true
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("line %d: %d fields, want 5 (principal, resource, permission, when, call)", n, len(f))
		}
		if header {
			header = false
			continue
		}
		calls = append(calls, Call{Principal: f[0], Resource: f[1], Permission: f[2], When: f[3], Call: f[4]})
	}
	return calls, sc.Err()
}

// Roles is roles.json.
type Roles struct {
	Source string              `json:"source"`
	Date   string              `json:"date"`
	Note   string              `json:"note,omitempty"`
	Roles  map[string][]string `json:"roles"`
}

// ReadRoles reads roles.json.
func ReadRoles(r io.Reader) (Roles, error) {
	var roles Roles
	if err := json.NewDecoder(r).Decode(&roles); err != nil {
		return Roles{}, fmt.Errorf("roles: %w", err)
	}
	if roles.Source == "" || roles.Date == "" {
		return Roles{}, errors.New("roles: the source and date of the role contents are required")
	}
	return roles, nil
}

// Grant is one IAM member resource of the plan: a role given to a principal
// on a resource, both named by their terraform addresses.
type Grant struct {
	Address   string   `json:"address"`   // the IAM member resource instance
	Principal string   `json:"principal"` // e.g. google_service_account.loader
	Resource  string   `json:"resource"`  // e.g. google_pubsub_topic.deadletter, or Project
	Role      string   `json:"role"`      // roles/..., or the address of a custom role
	Custom    []string `json:"custom_permissions,omitempty"`
	Condition string   `json:"condition,omitempty"` // the title of its IAM condition
}

// permissions returns the permissions g's role holds.
func (g Grant) permissions(roles Roles) ([]string, error) {
	if g.Custom != nil {
		return g.Custom, nil
	}
	p, ok := roles.Roles[g.Role]
	if !ok {
		return nil, fmt.Errorf("%s grants %s, which roles.json does not list", g.Address, g.Role)
	}
	return p, nil
}

func (g Grant) covers(c Call, roles Roles) (bool, error) {
	if g.Principal != c.Principal || (g.Resource != c.Resource && g.Resource != Project) {
		return false, nil
	}
	p, err := g.permissions(roles)
	return slices.Contains(p, c.Permission), err
}

// Check returns the calls (but those of Creation) that no grant covers.
func Check(calls []Call, roles Roles, grants []Grant) ([]Call, error) {
	var missing []Call
	for _, c := range calls {
		if c.When == Creation {
			continue
		}
		ok, err := anyCovers(grants, c, roles)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, c)
		}
	}
	return missing, nil
}

func anyCovers(grants []Grant, c Call, roles Roles) (bool, error) {
	for _, g := range grants {
		ok, err := g.covers(c, roles)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Unused returns the grants that cover no call: rights no component uses.
func Unused(calls []Call, roles Roles, grants []Grant) ([]Grant, error) {
	var unused []Grant
	for _, g := range grants {
		used := false
		for _, c := range calls {
			ok, err := g.covers(c, roles)
			if err != nil {
				return nil, err
			}
			if ok && c.When != Creation {
				used = true
				break
			}
		}
		if !used {
			unused = append(unused, g)
		}
	}
	return unused, nil
}
