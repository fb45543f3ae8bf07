package scenarios

import (
	"github.com/hookbench/hookbench/harness/model"
	"github.com/hookbench/hookbench/load"
)

func init() {
	register(func() model.Scenario {
		return model.Scenario{
			Name: "pull-and-delete-events",
			Description: "GET and HEAD pulls each make one pull event; deleting a manifest by digest makes a manifest delete " +
				"and a tag delete event; all delivered exactly.",
			Registry:  model.RegistryFragment{DeleteEnabled: true},
			Endpoints: []model.EndpointDef{{Name: "sink", Profile: ok()}},
			Load: []load.Profile{
				{Op: load.OpPull, Count: 10, Pacing: load.Pacing{Rate: 50}, RepoPrefix: "hookbench/pull-get"},
				{Op: load.OpPull, Count: 5, Method: "HEAD", Pacing: load.Pacing{Rate: 50}, RepoPrefix: "hookbench/pull-head"},
				{Op: load.OpDelete, Count: 5, Pacing: load.Pacing{Rate: 50}, RepoPrefix: "hookbench/delete"},
			},
			Expect: model.Expect{
				// pull-get 2+1+10, pull-head 2+1+5, delete 2+5+5*2
				Final: map[string]model.Counters{"sink": {"Events": 38, "Successes": 38, "Failures": 0, "Errors": 0, "Pending": 0}},
			},
		}
	})
}
