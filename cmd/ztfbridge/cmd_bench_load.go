package main

import (
	"context"
	"errors"
)

// TODO(owner of this command): replace this stub.
func runBenchLoad(ctx context.Context, e env, args []string) error {
	return errors.New("not implemented yet")
}
