package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// series is one named line or point set of a plot.
type series struct {
	Name   string
	X, Y   []float64
	Points bool // scatter instead of line
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// plot renders series as an inline SVG with axes, ticks and a legend.
func plot(title, xlabel, ylabel string, ss []series) string {
	const W, H, L, R, T, B = 760.0, 300.0, 70.0, 20.0, 30.0, 45.0
	minX, maxX, maxY := math.Inf(1), math.Inf(-1), 0.0
	n := 0
	for _, s := range ss {
		for i := range s.X {
			minX, maxX = math.Min(minX, s.X[i]), math.Max(maxX, s.X[i])
			maxY = math.Max(maxY, s.Y[i])
			n++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img">`, W, H, W, H)
	fmt.Fprintf(&b, `<title>%s</title><text x="%g" y="18" font-size="14" font-weight="bold">%s</text>`, html.EscapeString(title), L, html.EscapeString(title))
	if n == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" fill="#666">no data</text></svg>`, W/2-30, H/2)
		return b.String()
	}
	minX = math.Min(minX, 0) // time axes start at the run's start
	if maxX == minX {
		maxX = minX + 1
	}
	if maxY == 0 {
		maxY = 1
	}
	maxY = niceCeil(maxY)
	px := func(x float64) float64 { return L + (x-minX)/(maxX-minX)*(W-L-R) }
	py := func(y float64) float64 { return H - B - y/maxY*(H-T-B) }
	// axes and ticks
	fmt.Fprintf(&b, `<g stroke="#999" stroke-width="1"><line x1="%g" y1="%g" x2="%g" y2="%g"/><line x1="%g" y1="%g" x2="%g" y2="%g"/></g>`,
		L, H-B, W-R, H-B, L, T, L, H-B)
	for i := 0; i <= 4; i++ {
		y := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#eee"/><text x="%g" y="%.1f" font-size="11" text-anchor="end">%s</text>`,
			L, py(y), W-R, py(y), L-5, py(y)+4, num(y))
		x := minX + (maxX-minX)*float64(i)/4
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="11" text-anchor="middle">%s</text>`, px(x), H-B+15, num(x))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="12" text-anchor="middle">%s</text>`, (L+W-R)/2, H-8, html.EscapeString(xlabel))
	fmt.Fprintf(&b, `<text x="14" y="%g" font-size="12" text-anchor="middle" transform="rotate(-90 14 %g)">%s</text>`, (T+H-B)/2, (T+H-B)/2, html.EscapeString(ylabel))
	for i, s := range ss {
		col := palette[i%len(palette)]
		if s.Points {
			fmt.Fprintf(&b, `<g fill="%s" fill-opacity="0.6">`, col)
			for j := range s.X {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="1.8"/>`, px(s.X[j]), py(s.Y[j]))
			}
			b.WriteString(`</g>`)
		} else if len(s.X) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="`, col)
			for j := range s.X {
				fmt.Fprintf(&b, "%.1f,%.1f ", px(s.X[j]), py(s.Y[j]))
			}
			b.WriteString(`"/>`)
		}
		fmt.Fprintf(&b, `<rect x="%g" y="%d" width="10" height="10" fill="%s"/><text x="%g" y="%d" font-size="11">%s</text>`,
			W-R-150, 28+14*i, col, W-R-135, 37+14*i, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	if math.Abs(v) >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
