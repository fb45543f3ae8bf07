package scenarios

import (
	"time"

	"github.com/hookbench/hookbench/harness/model"
)

// onDocker: scenarios whose chaos only containers perform honestly (freeze
// a receiver, cut its network, TCP faults through toxiproxy), or whose
// point is the container itself. Elsewhere they would be refused anyway.
func onDocker() []string { return []string{"docker"} }

// outageExpect: Pending and Failures back to 0, Errors seen during the fault.
func outageExpect() model.Expect {
	return model.Expect{
		Final:        map[string]model.Counters{"sink": {"Pending": 0, "Failures": 0}},
		Eventually:   []model.Condition{{Endpoint: "sink", Counter: "Errors", Op: ">", Value: 0}},
		DrainTimeout: 30 * time.Second,
	}
}
