package notifications

import "github.com/hookbench/hookbench/config"

// settle validates the notifications config (every problem reported, each
// naming its key) and returns the enabled endpoints with Distribution's
// defaults in place of zero values.
func settle(cfg config.Notifications) ([]config.Endpoint, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var enabled []config.Endpoint
	for _, ep := range cfg.Endpoints {
		if ep.Disabled {
			continue
		}
		if ep.Timeout == 0 {
			ep.Timeout = config.DefaultTimeout
		}
		if ep.Threshold == 0 {
			ep.Threshold = config.DefaultThreshold
		}
		if ep.Backoff == 0 {
			ep.Backoff = config.DefaultBackoff
		}
		enabled = append(enabled, ep)
	}
	return enabled, nil
}
