package load

import (
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Pacing is a vegeta pacer in declarative form.
type Pacing struct {
	Shape  string        `json:"shape" yaml:"shape,omitempty"`             // constant (default), linear, sine
	Rate   float64       `json:"rate" yaml:"rate,omitempty"`               // hits per second (constant; start rate of linear; mean of sine)
	Slope  float64       `json:"slope,omitempty" yaml:"slope,omitempty"`   // linear: hits/s added per second
	Amp    float64       `json:"amp,omitempty" yaml:"amp,omitempty"`       // sine: amplitude in hits/s
	Period time.Duration `json:"period,omitempty" yaml:"period,omitempty"` // sine: period
}

// Pacer builds the vegeta pacer. A zero Rate means "as fast as the workers go".
func (p Pacing) Pacer() (vegeta.Pacer, error) {
	if p.Rate < 0 {
		return nil, fmt.Errorf("pacing: rate %v is negative", p.Rate)
	}
	per := time.Second
	switch p.Shape {
	case "", "constant":
		if p.Rate == 0 {
			return vegeta.ConstantPacer{}, nil // unlimited: workers bound it
		}
		// Keep integer Freq exact for rates below 1/s too.
		freq, per := int(p.Rate), per
		if float64(freq) != p.Rate {
			freq, per = int(p.Rate*1000), time.Second*1000
		}
		return vegeta.ConstantPacer{Freq: freq, Per: per}, nil
	case "linear":
		if p.Rate == 0 && p.Slope <= 0 {
			return nil, fmt.Errorf("pacing: linear needs rate or a positive slope")
		}
		return vegeta.LinearPacer{StartAt: vegeta.Rate{Freq: int(p.Rate), Per: per}, Slope: p.Slope}, nil
	case "sine":
		if p.Period <= 0 || p.Rate <= 0 || p.Amp < 0 || p.Amp > p.Rate {
			return nil, fmt.Errorf("pacing: sine needs period > 0, rate > 0 and 0 <= amp <= rate")
		}
		return vegeta.SinePacer{
			Period: p.Period,
			Mean:   vegeta.Rate{Freq: int(p.Rate), Per: per},
			Amp:    vegeta.Rate{Freq: int(p.Amp), Per: per},
		}, nil
	default:
		return nil, fmt.Errorf("pacing: unknown shape %q (constant, linear, sine)", p.Shape)
	}
}
