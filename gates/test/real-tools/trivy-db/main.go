// Command trivy-db writes a small trivy vulnerability DB from bolt-fixtures YAML files, the way
// trivy's own integration tests do (internal/dbtest.InitDB in aquasecurity/trivy).
//
// Usage: trivy-db <db-file> <fixture.yaml>...
package main

import (
	"fmt"
	"os"

	fixtures "github.com/aquasecurity/bolt-fixtures"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: trivy-db <db-file> <fixture.yaml>...")
		os.Exit(2)
	}
	loader, err := fixtures.New(os.Args[1], os.Args[2:])
	if err == nil {
		err = loader.Load()
	}
	if err == nil {
		err = loader.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "trivy-db:", err)
		os.Exit(1)
	}
}
