package stack

import (
	"errors"
	"os"
	"path/filepath"
)

// RepoRoot returns the ztfbridge repository the working directory is in:
// the nearest folder at or above it that holds a go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory: run from the ztfbridge repository")
		}
		dir = parent
	}
}
