package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

// Three variants of Standard Webhooks signing against a receiver that
// verifies webhook-signature: the right secret, a wrong one, a rotation.
func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "signed-webhooks",
			Description: "The registry signs with the secret the receiver verifies: all 22 events accepted on the first " +
				"attempt (200 x22), no 401.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: signedBy(secretA),
				Delivery: model.DeliverySettings{Secrets: []string{secretA}}}},
			Load: []load.Profile{pushes(20, 40)},
			Expect: model.Expect{Final: map[string]model.Counters{"sink": {
				"Events": 22, "Successes": 22, "Failures": 0, "Pending": 0, "Statuses[200 OK]": 22, "Statuses[401 Unauthorized]": 0,
			}}},
		}
	})
	register(func() model.Scenario {
		return model.Scenario{
			Name: "signed-webhooks-wrong-secret",
			Description: "The registry signs with a secret the receiver does not know: every POST is refused 401, counted " +
				"as a Failure; with retry.maxattempts 2 each of the 22 events is tried twice and then given up " +
				"(Failures 44 = Statuses 401 x44 = the receiver's histogram, DeadLettered 22, Pending 0, nothing delivered).",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: signedBy(secretB),
				Delivery: model.DeliverySettings{Secrets: []string{secretA}, MaxAttempts: 2,
					RetryBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}}},
			Load: []load.Profile{pushes(20, 40)},
			Expect: model.Expect{Final: map[string]model.Counters{"sink": {
				"Events": 22, "Successes": 0, "Failures": 44, "Statuses[401 Unauthorized]": 44, "DeadLettered": 22, "Pending": 0,
			}}},
		}
	})
	register(func() model.Scenario {
		return model.Scenario{
			Name: "signed-webhooks-rotation",
			Description: "Secret rotation: the registry signs with the old and the new secret (two v1 signatures), the " +
				"receiver knows only the new one: all 22 events accepted on the first attempt.",
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: signedBy(secretB),
				Delivery: model.DeliverySettings{Secrets: []string{secretA, secretB}}}},
			Load: []load.Profile{pushes(20, 40)},
			Expect: model.Expect{Final: map[string]model.Counters{"sink": {
				"Events": 22, "Successes": 22, "Failures": 0, "Pending": 0, "Statuses[200 OK]": 22,
			}}},
		}
	})
}
