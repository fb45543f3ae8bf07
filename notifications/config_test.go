package notifications

import (
	"testing"
	"time"

	"github.com/onsi/gomega"
)

func TestEndpointDefaults(t *testing.T) {
	g := gomega.NewWithT(t)
	got := EndpointConfig{Name: "on", URL: "https://x/cb"}.withDefaults()
	g.Expect(got.Timeout).To(gomega.Equal(DefaultTimeout))
	g.Expect(got.Threshold).To(gomega.Equal(DefaultThreshold))
	g.Expect(got.Backoff).To(gomega.Equal(DefaultBackoff))
	set := EndpointConfig{Name: "set", URL: "http://z/", Timeout: 3, Threshold: 4, Backoff: 5}
	g.Expect(set.withDefaults()).To(gomega.Equal(set), "values given are kept")
}

// TestDistributionsDelivery: only settings beyond Distribution's switch
// on our counters; an explicit memory queue or an empty list does not.
func TestDistributionsDelivery(t *testing.T) {
	g := gomega.NewWithT(t)
	for _, d := range []Delivery{{}, {Queue: Queue{Kind: "memory"}}, {Signing: Signing{Secrets: []string{}}}} {
		g.Expect(d.isDistributions()).To(gomega.BeTrue(), "%+v", d)
	}
	for _, d := range []Delivery{{Concurrency: 1}, {Queue: Queue{Kind: "disk"}}, {Retry: Retry{MaxAge: time.Second}},
		{DeadLetter: DeadLetter{On4xx: true}}, {Batch: Batch{MaxWait: 1}}, {Signing: Signing{Secrets: []string{"k"}}}} {
		g.Expect(d.isDistributions()).To(gomega.BeFalse(), "%+v", d)
	}
}
