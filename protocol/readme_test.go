package protocol_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// The README's tables must list exactly the codes the code sends.
func TestREADMETables(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, c := range protocol.CloseCodes() {
		if row := fmt.Sprintf("| %d | %s |", c.Code, c.Name); !strings.Contains(readme, row) {
			t.Errorf("README close-code table lacks %q", row)
		}
	}
	for v := range tickwirev1.ErrorCode_name {
		if v == 0 {
			continue
		}
		if row := fmt.Sprintf("| %d | `%s` |", v, protocol.CodeName(tickwirev1.ErrorCode(v))); !strings.Contains(readme, row) {
			t.Errorf("README error-code table lacks %q", row)
		}
	}
}
