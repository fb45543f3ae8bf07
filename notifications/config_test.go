package notifications

import (
	"testing"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench/config"
)

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		eps  []config.Endpoint
		want []string
	}{
		{"bad url", []config.Endpoint{{Name: "a", URL: "http://ok/"}, {Name: "b", URL: "ftp://x/"}},
			[]string{"notifications.endpoints[1].url: ", "scheme must be http or https"}},
		{"unparsable url", []config.Endpoint{{Name: "a", URL: "http://%zz"}}, []string{"notifications.endpoints[0].url: not a URL"}},
		{"no url", []config.Endpoint{{Name: "a"}}, []string{"notifications.endpoints[0].url: missing"}},
		{"no host", []config.Endpoint{{Name: "a", URL: "http:///x"}}, []string{"notifications.endpoints[0].url: ", "no host"}},
		{"duplicate", []config.Endpoint{{Name: "a", URL: "http://x/"}, {Name: "a", URL: "http://y/"}},
			[]string{`notifications.endpoints[1].name: "a" is already the name of notifications.endpoints[0]`}},
		{"no name", []config.Endpoint{{URL: "http://x/"}}, []string{"notifications.endpoints[0].name: missing"}},
		{"negative", []config.Endpoint{{Name: "a", URL: "http://x/", Timeout: -1, Threshold: -2, Backoff: -3}},
			[]string{"notifications.endpoints[0].timeout: must not be negative", "notifications.endpoints[0].threshold: must not be negative", "notifications.endpoints[0].backoff: must not be negative"}},
		{"unknown action", []config.Endpoint{{Name: "a", URL: "http://x/", Ignore: config.Ignore{Actions: []string{"pull", "pul"}}}},
			[]string{`notifications.endpoints[0].ignore.actions[1]: unknown action "pul"`}},
		{"header line break", []config.Endpoint{{Name: "a", URL: "http://x/", Headers: map[string][]string{"X": {"a\r\nb"}}}},
			[]string{"notifications.endpoints[0].headers.X: "}},
		{"disabled is still checked", []config.Endpoint{{Name: "a", URL: "nope", Disabled: true}},
			[]string{"notifications.endpoints[0].url: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gomega.NewWithT(t)
			n, err := New(config.Notifications{Endpoints: tc.eps}, WithLogger(discardLogger()))
			g.Expect(n).To(gomega.BeNil())
			g.Expect(err).To(gomega.HaveOccurred())
			for _, w := range tc.want {
				g.Expect(err.Error()).To(gomega.ContainSubstring(w))
			}
		})
	}
}

func TestConfigDefaultsAndDisabled(t *testing.T) {
	g := gomega.NewWithT(t)
	eps, err := settle(config.Notifications{Endpoints: []config.Endpoint{
		{Name: "on", URL: "https://x/cb"},
		{Name: "off", URL: "https://y/cb", Disabled: true},
		{Name: "set", URL: "http://z/", Timeout: 3, Threshold: 4, Backoff: 5},
	}})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(eps).To(gomega.HaveLen(2), "disabled endpoints are left out")
	g.Expect(eps[0].Timeout).To(gomega.Equal(config.DefaultTimeout))
	g.Expect(eps[0].Threshold).To(gomega.Equal(config.DefaultThreshold))
	g.Expect(eps[0].Backoff).To(gomega.Equal(config.DefaultBackoff))
	g.Expect(eps[1].Threshold).To(gomega.Equal(4))
	g.Expect(int64(eps[1].Timeout)).To(gomega.BeEquivalentTo(3))
	g.Expect(int64(eps[1].Backoff)).To(gomega.BeEquivalentTo(5))
}
