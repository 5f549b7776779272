// Command tfgrants prints the grants of a terraform plan, as
// terraform/permissions/grants.json holds them:
//
//	terraform show -json PLAN > plan.json
//	go run ./terraform/permissions/tfgrants plan.json > terraform/permissions/grants.json
//
// scripts/terraform-check.sh runs it on the offline plan and fails when the
// committed grants.json differs.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ztfbridge/ztfbridge/terraform/permissions"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tfgrants:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: tfgrants PLAN.json")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	grants, err := permissions.GrantsFromPlan(data)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(grants, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", b)
	return err
}
