package verdict

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/harness/model"
)

func TestSecretChecks(t *testing.T) {
	ep := model.EndpointDef{Name: "sink", Headers: map[string][]string{"Authorization": {"Bearer h3ader-secret"}},
		URLUserInfo: "hook:pa55word", URLQuery: "token=t0ken-value&sig=s1gnature"}
	secrets := ep.Secrets()
	if len(secrets) != 4 {
		t.Fatalf("secrets %v, want header, password and two query values", secrets)
	}
	clean := []byte(`{"url":"http://hook:<redacted>@h/in?sig=<redacted>&token=<redacted>","Headers":{"Authorization":["<redacted>"]}}`)
	leaky := []byte(`{"url":"http://hook:pa55word@h/in?sig=<redacted>&token=t0ken-value"}`)
	checks := SecretChecks(secrets, map[string]Page{"/debug/vars": {Body: clean}, "/metrics": {Body: leaky}, "/x": {Err: errors.New("503")}})
	got := map[string]Check{}
	for _, c := range checks {
		got[c.Name] = c
	}
	if c := got["Secrets[/debug/vars]"]; !c.OK {
		t.Errorf("clean page failed: %v", c)
	}
	c := got["Secrets[/metrics]"]
	if c.OK || !strings.Contains(c.Observed, "sink URL password") || !strings.Contains(c.Observed, "sink URL query token") {
		t.Errorf("leaky page: %v", c)
	}
	for _, s := range secrets {
		if strings.Contains(c.String(), s.Value) {
			t.Errorf("the check's message shows the secret of %s", s.What)
		}
	}
	if c := got["Secrets[/x]"]; c.OK {
		t.Errorf("an unreadable page passed: %v", c)
	}
	if u, err := ep.URL("http://127.0.0.1:9/in"); err != nil || u != "http://hook:pa55word@127.0.0.1:9/in?token=t0ken-value&sig=s1gnature" {
		t.Errorf("URL = %q, %v", u, err)
	}
}
