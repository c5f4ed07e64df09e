package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fewFontsConfig is a fontconfig configuration that offers Chromium only DejaVu and Noto Color
// Emoji: a Linux host with few fonts (no Arial-metric font such as Liberation Sans), where a
// font stack that reaches the emoji font too early draws every space about three times wide.
func fewFontsConfig(t *testing.T) string {
	t.Helper()
	dirs := map[string]string{
		"DejaVu":           "/usr/share/fonts/truetype/dejavu",
		"Noto Color Emoji": "/usr/share/fonts/truetype/noto",
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>`)
	for name, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			if os.Getenv("NFMM_REQUIRE_BROWSER") == "1" {
				t.Fatalf("%s fonts not in %s (CI installs fonts-dejavu-core and fonts-noto-color-emoji)", name, d)
			}
			t.Skipf("%s fonts not in %s", name, d)
		}
		fmt.Fprintf(&b, "<dir>%s</dir>", d)
	}
	tmp := t.TempDir()
	fmt.Fprintf(&b, "<cachedir>%s</cachedir></fontconfig>\n", filepath.Join(tmp, "cache"))
	path := filepath.Join(tmp, "fonts.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDemoFontsWithOnlyDejaVu opens the demo page in Chromium with only DejaVu and Noto Color
// Emoji installed: text spaces must have DejaVu's width (about 0.32 em), and emoji must still
// come from the emoji font.
func TestDemoFontsWithOnlyDejaVu(t *testing.T) {
	conf := fewFontsConfig(t)
	b := newBrowser(t, chromedp.Env("FONTCONFIG_FILE="+conf))
	run := startTestDemo(t)
	b.run("open the page", chromedp.Navigate(run.URL), visible(`body[data-ready="true"] #composer`))
	b.run("run /cms status", typeInto("#composer", "/cms status\n"), visibleText("msg", "Cluster status"))
	b.shot("fonts-dejavu-only")

	measure := func(text string) float64 { return measureIn(t, b, "span", text) }
	code := func(text string) float64 { return measureIn(t, b, "code", text) }
	if w := measure(" "); w < 0.2 || w > 0.45 {
		t.Errorf("a space is %.2f em wide, want DejaVu Sans's ~0.32 em (the emoji font is drawing text)", w)
	}
	if w, n := measure("nnnn"), measure("n"); w < 3.5*n || n > 0.8 {
		t.Errorf("text widths look wrong: n = %.2f em, nnnn = %.2f em", n, w)
	}
	if w := measure("🔇"); w < 0.9 {
		t.Errorf("an emoji is %.2f em wide: it does not come from the colour emoji font", w)
	}
	// Code spans (ids, commands) are monospace: a space as wide as a letter, about 0.6 em.
	if sp, n := code(" "), code("n"); sp < 0.4 || sp > 0.7 || sp != n {
		t.Errorf("in code a space is %.2f em and n %.2f em, want both DejaVu Sans Mono's ~0.6 em", sp, n)
	}
}

// measureIn is the width in em of one copy of text in a new tag element inside the first
// message (styled like message text), measured over 20 copies.
func measureIn(t *testing.T, b *browser, tag, text string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	js := fmt.Sprintf(`(() => {
		const host = document.querySelector('.msg') || document.body;
		const s = document.createElement(%q);
		s.style.cssText = 'position:absolute; left:0; top:0; white-space:pre; visibility:hidden; max-width:none; padding:0; border:0';
		s.textContent = %q.repeat(20);
		host.appendChild(s);
		const w = s.getBoundingClientRect().width / 20 / parseFloat(getComputedStyle(s).fontSize);
		s.remove();
		return w;
	})()`, tag, text)
	w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](js))
	if err != nil {
		t.Fatalf("measure %q in <%s>: %v", text, tag, err)
	}
	return w
}
