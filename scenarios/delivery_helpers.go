package scenarios

import (
	"encoding/json"

	"github.com/hookbench/hookbench/harness/load"
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
func rejectRepository(pattern string, status int) json.RawMessage {
	return profile{"rules": []map[string]any{{"repository": pattern, "status": status}}}.json()
}

// Standard Webhooks test secrets ("whsec_" + base64 of a 24-byte key).
const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2VjcmV0LWJyYXZvLXJvdGF0ZWQta2V5LTI0"
)

func signedBy(secret string) json.RawMessage { return profile{"secret": secret}.json() }
