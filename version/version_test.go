package version_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/tickwire/tickwire/version"
)

func TestVersionIsSemver(t *testing.T) {
	semver := regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	if !semver.MatchString(version.Version) {
		t.Fatalf("Version %q is not a semantic version without a leading v", version.Version)
	}
}

func ExampleVersion() {
	fmt.Println("tickwire", version.Version)
	// Output: tickwire 0.2.0-dev
}
