package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"time"
)

// plotNodes are the cluster sizes of the plot (Cisco supports up to 24 call bridges).
var plotNodes = []int{1, 2, 4, 8, 12, 16, 24}

// runPlot measures scenario 1's `calls` at every cluster size and draws wall time versus nodes
// for NFMM, the lower bound and the sequential baseline.
func runPlot(ctx context.Context, path string, runs int, w io.Writer) error {
	p := defaultParams
	var rows []row
	for _, n := range plotNodes {
		r, err := runCalls(ctx, p, n, 50, runs, true)
		if err != nil {
			return fmt.Errorf("%d nodes: %w", n, err)
		}
		r.Name = fmt.Sprintf("calls, %d nodes × 50", n)
		rows = append(rows, r)
	}
	printRows(w, rows)
	img := drawPlot(rows)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintln(w, "wrote", path)
	return f.Close()
}

var (
	white    = color.RGBA{255, 255, 255, 255}
	black    = color.RGBA{0, 0, 0, 255}
	grid     = color.RGBA{225, 225, 225, 255}
	nfmmCol  = color.RGBA{31, 100, 200, 255}
	boundCol = color.RGBA{40, 150, 60, 255}
	baseCol  = color.RGBA{210, 50, 40, 255}
)

// canvas maps data to pixels: x linear in nodes, y log10 in seconds.
type canvas struct {
	img                   *image.RGBA
	left, right, top, bot int
	xMax                  float64
	yMinLog, yMaxLog      float64
}

func (c *canvas) px(nodes float64, d time.Duration) (int, int) {
	x := c.left + int(nodes/c.xMax*float64(c.right-c.left))
	v := (math.Log10(d.Seconds()) - c.yMinLog) / (c.yMaxLog - c.yMinLog)
	y := c.bot - int(v*float64(c.bot-c.top))
	return x, y
}

func drawPlot(rows []row) *image.RGBA {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, 960, 600)), left: 110, right: 930, top: 70, bot: 520,
		xMax: 25, yMinLog: -1, yMaxLog: 2}
	fill(c.img, c.img.Bounds(), white)
	text(c.img, 20, 14, "calls: 50 calls/node, page cap 10, 25 ms/request, 8 in flight/node", black, 2)
	for e := -1; e <= 2; e++ { // decades: 0.1 s .. 100 s
		_, y := c.px(0, time.Duration(math.Pow(10, float64(e))*float64(time.Second)))
		line(c.img, c.left, y, c.right, y, grid, 1)
		label := map[int]string{-1: "0.1 s", 0: "1 s", 1: "10 s", 2: "100 s"}[e]
		text(c.img, c.left-12-len(label)*12, y-7, label, black, 2)
	}
	for _, n := range []int{1, 4, 8, 12, 16, 20, 24} {
		x, _ := c.px(float64(n), time.Second)
		line(c.img, x, c.top, x, c.bot, grid, 1)
		s := fmt.Sprint(n)
		text(c.img, x-len(s)*6, c.bot+12, s, black, 2)
	}
	line(c.img, c.left, c.bot, c.right, c.bot, black, 2)
	line(c.img, c.left, c.top, c.left, c.bot, black, 2)
	text(c.img, (c.left+c.right)/2-5*12, c.bot+40, "CMS nodes", black, 2)
	text(c.img, 20, c.top-26, "wall time (log scale)", black, 2)
	series := []struct {
		name string
		col  color.RGBA
		val  func(row) time.Duration
	}{
		{"sequential baseline", baseCol, func(r row) time.Duration { return r.Baseline }},
		{"NFMM (median)", nfmmCol, func(r row) time.Duration { return r.Wall }},
		{"round-trip lower bound", boundCol, func(r row) time.Duration { return r.Bound }},
	}
	for i, s := range series {
		var px, py int
		for j, r := range rows {
			x, y := c.px(float64(plotNodes[j]), s.val(r))
			if j > 0 {
				line(c.img, px, py, x, y, s.col, 3)
			}
			fill(c.img, image.Rect(x-4, y-4, x+5, y+5), s.col)
			px, py = x, y
		}
		ly := c.top + 15 + i*28 + 250
		line(c.img, c.right-330, ly+7, c.right-290, ly+7, s.col, 3)
		text(c.img, c.right-280, ly, s.name, black, 2)
	}
	return c.img
}

func fill(img *image.RGBA, r image.Rectangle, col color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, col)
		}
	}
}

// line draws a thick line by stepping along its longer axis.
func line(img *image.RGBA, x0, y0, x1, y1 int, col color.RGBA, thick int) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		fill(img, image.Rect(x-thick/2, y-thick/2, x-thick/2+thick, y-thick/2+thick), col)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// text draws s with the 5×7 font scaled by scale; unknown runes are skipped as spaces.
func text(img *image.RGBA, x, y int, s string, col color.RGBA, scale int) {
	for _, r := range s {
		if g, ok := glyphs[r]; ok {
			for row, bits := range g {
				for colIdx, b := range bits {
					if b == '#' {
						fill(img, image.Rect(x+colIdx*scale, y+row*scale, x+(colIdx+1)*scale, y+(row+1)*scale), col)
					}
				}
			}
		}
		x += 6 * scale
	}
}
