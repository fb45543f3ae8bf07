package harness

import "github.com/hookbench/hookbench/fakes/endpoint"

// The harness reads each fake receiver through its admin API (the same for
// every runtime), with the fake's own types: what it counted, what it
// recorded per attempt, and the client.
type (
	FakeStats  = endpoint.Stats
	Delivery   = endpoint.Delivery
	FakeClient = endpoint.Client
)

// NewFakeClient returns a client of a fake receiver's admin API.
func NewFakeClient(adminURL string) *FakeClient { return endpoint.NewClient(adminURL) }
