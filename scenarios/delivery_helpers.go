package scenarios

import (
	"github.com/hookbench/hookbench/fakes/endpoint"
	"github.com/hookbench/hookbench/load"
)

// Helpers for the opt-in delivery scenarios (issue 8).

// pushesTo pushes n manifests spread over repos repositories named
// prefix-0..prefix-(repos-1).
func pushesTo(prefix string, repos, n int, rate float64) load.Profile {
	p := pushes(n, rate)
	p.RepoPrefix, p.Repositories = prefix, repos
	return p
}

// rejectRepository answers status to every delivery whose event is for a
// repository matching pattern (path.Match), 200 to the rest.
func rejectRepository(pattern string, status int) endpoint.Profile {
	return endpoint.Profile{Rules: []endpoint.Rule{{Repository: pattern, Fault: endpoint.Fault{Status: status}}}}
}

// Standard Webhooks test secrets ("whsec_" + base64 of a 24-byte key).
const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2VjcmV0LWJyYXZvLXJvdGF0ZWQta2V5LTI0"
)

func signedBy(secret string) endpoint.Profile { return endpoint.Profile{Secret: secret} }
